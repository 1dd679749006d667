"""Twilio's inbound-message form → the channel-neutral `Inbound`.

From is `whatsapp:+7…` on WhatsApp and `+7…` on SMS; the identity's address is the bare E.164 number,
the form the roster stores, so a known parent is recognised at once. MessageSid is the idempotency key
(`external_id`): a retried webhook is recorded once by the handlers. A tapped quick-reply button
(`ButtonPayload`) or a picked list item (`ListId`) comes back as the choice it was rendered from
(`bots.whatsapp.content`), the same value the typed number of that choice maps to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from handlers.types import Chat, Identity, Inbound, Upload

MAX_MEDIA = 10  # Twilio sends at most ten media items per message

Fetch = Callable[[str, int], Awaitable[tuple[bytes, int]]]


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class Parsed:
    channel: str
    number: str
    message_sid: str
    body: str
    media: tuple[Media, ...] = ()
    choice: str = ""  # the tapped button's payload or the picked list item's id
    profile_name: str = ""


def bare_number(address: str) -> str:
    """`whatsapp:+7701…` → `+7701…`."""
    return address.partition(":")[2] if ":" in address else address


def parse_form(channel: str, form: Mapping[str, str]) -> Parsed | None:
    """The fields the handlers need, or None when the form is not an inbound message."""
    sid = form.get("MessageSid", "").strip()
    number = bare_number(form.get("From", "").strip())
    if not sid or not number.startswith("+"):
        return None
    try:
        count = min(int(form.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        Media(form[f"MediaUrl{i}"], form.get(f"MediaContentType{i}", "application/octet-stream"))
        for i in range(count)
        if form.get(f"MediaUrl{i}")
    )
    return Parsed(
        channel=channel,
        number=number,
        message_sid=sid,
        body=form.get("Body", ""),
        media=media,
        choice=(form.get("ButtonPayload") or form.get("ListId") or "").strip(),
        profile_name=form.get("ProfileName", ""),
    )


async def to_inbound(parsed: Parsed, fetch: Fetch, max_bytes: int) -> Inbound:
    """Download the media (each at most `max_bytes`; bigger ones arrive empty with their size) and
    build the `Inbound`."""
    uploads = []
    for item in parsed.media:
        data, size = await fetch(item.url, max_bytes)
        is_image = item.content_type.startswith("image/")
        uploads.append(Upload(data=data, content_type=item.content_type, as_document=not is_image, size=size))
    return Inbound(
        identity=Identity(channel=parsed.channel, address=parsed.number, display_name=parsed.profile_name),
        chat=Chat(id=parsed.number),
        text="" if parsed.choice else parsed.body,
        uploads=tuple(uploads),
        choice=parsed.choice or None,
        album_id=parsed.message_sid if len(uploads) > 1 else None,
        external_id=parsed.message_sid,
    )
