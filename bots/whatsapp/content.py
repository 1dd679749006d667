"""WhatsApp buttons: a reply's choices as quick-reply buttons or a list, through Twilio's Content API.

Inside the 24-hour window (a direct reply is inside it by definition) WhatsApp shows interactive
messages without approval: up to three quick-reply buttons (`twilio/quick-reply`, a title of at most
20 characters each), or a list of up to ten items behind a button (`twilio/list-picker`, an item of
at most 24 characters with a description of at most 72). A reply with more choices, with media, or
with a text longer than the 1,024 characters those types hold stays a numbered list, as by SMS.

Twilio sends such a message from a Content resource (`ContentSid`) and its `ContentVariables`. Every
part of ours is a variable (`{{1}}` the text, then id and title of each choice), so one resource per
shape serves every reply of that shape: quick replies with 1–3 buttons, lists with 1–10 items, with or
without descriptions. `ContentTemplates` creates a shape's resource through the Content API the
first time it is needed (`POST https://content.twilio.com/v1/Content`) and keeps its SID.

A tap comes back as an inbound message whose `ButtonPayload` (quick reply) or `ListId` (list) is the
choice's value (`bots.whatsapp.inbound`): the same value a typed number maps to.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from handlers.types import Reply
from locales import T
from locales.shorten import shorten

log = logging.getLogger(__name__)

QUICK_REPLY = "twilio/quick-reply"
LIST_PICKER = "twilio/list-picker"
MAX_BUTTONS = 3  # in-session quick replies without approval
MAX_ITEMS = 10
MAX_BUTTON_TITLE = 20
MAX_ITEM = 24
MAX_DESCRIPTION = 72
MAX_ID = 200
MAX_BODY = 1024


@dataclass(frozen=True)
class Option:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Interactive:
    """A reply as an interactive message: its type, text, list button and options."""

    kind: str
    body: str
    options: tuple[Option, ...]
    button: str = ""

    @property
    def described(self) -> bool:
        return any(option.description for option in self.options)

    @property
    def shape(self) -> tuple[str, int, bool]:
        return (self.kind, len(self.options), self.described)

    def variables(self) -> dict[str, str]:
        """The ContentVariables of this message for its shape's resource (`definition`)."""
        values = [self.body] + ([self.button] if self.kind == LIST_PICKER else [])
        for option in self.options:
            values += [option.id, option.title] + ([option.description] if self.described else [])
        return {str(number): value for number, value in enumerate(values, start=1)}


def interactive(reply: Reply, locale: str, channel: str = "whatsapp") -> Interactive | None:
    """The reply as quick-reply buttons or a list, or None when it must stay a numbered list."""
    if not reply.choices or reply.media_path or len(reply.choices) > MAX_ITEMS:
        return None
    body = reply.text.render(locale, channel)
    labels = [choice.label.render(locale, channel) for choice in reply.choices]
    if len(body) > MAX_BODY or any(len(choice.value) > MAX_ID for choice in reply.choices):
        return None
    values = [choice.value for choice in reply.choices]
    if len(labels) <= MAX_BUTTONS and all(len(label) <= MAX_BUTTON_TITLE for label in labels):
        buttons = tuple(Option(value, label) for value, label in zip(values, labels, strict=True))
        return Interactive(QUICK_REPLY, body, buttons)
    options = tuple(_item(value, label) for value, label in zip(values, labels, strict=True))
    button = T("whatsapp.list_button").render(locale, channel)[:MAX_BUTTON_TITLE]
    return Interactive(LIST_PICKER, body, options, button)


def _item(value: str, label: str) -> Option:
    """A list item: the label, or, when it is too long for an item, its start and the whole of it
    (up to the description's length) under it."""
    if len(label) <= MAX_ITEM:
        return Option(value, label)
    return Option(value, shorten(label, MAX_ITEM), shorten(label, MAX_DESCRIPTION))


def definition(kind: str, size: int, described: bool) -> dict[str, object]:
    """The Content resource of one shape: every part a variable, numbered as `Interactive.variables`."""
    numbers = iter(range(1, 1000))

    def var() -> str:
        return "{{" + str(next(numbers)) + "}}"

    body = var()
    samples: dict[str, str] = {"1": "…"}
    if kind == QUICK_REPLY:
        actions = [{"type": "QUICK_REPLY", "id": var(), "title": var()} for _ in range(size)]
        types: dict[str, object] = {QUICK_REPLY: {"body": body, "actions": actions}}
    else:
        button = var()
        items = []
        for _ in range(size):
            item = {"id": var(), "item": var()}
            if described:
                item["description"] = var()
            items.append(item)
        types = {LIST_PICKER: {"body": body, "button": button, "items": items}}
    samples |= {str(number): str(number) for number in range(2, next(numbers))}
    types["twilio/text"] = {"body": body}
    name = f"ustaz_{kind.split('/')[1].replace('-', '_')}_{size}{'_described' if described else ''}"
    return {"friendly_name": name, "language": "kk", "variables": samples, "types": types}


class ContentTemplates:
    """The Content resources of the shapes in use, created once each through the Content API."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._sids: dict[tuple[str, int, bool], str] = {}
        self._lock = asyncio.Lock()

    async def sid_for(self, message: Interactive) -> str:
        shape = message.shape
        async with self._lock:
            if shape not in self._sids:
                request = ContentList.ContentCreateRequest(definition(*shape))
                created = await self.client.content.v1.contents.create_async(request)
                self._sids[shape] = str(created.sid)
                log.info("twilio: content %s created for %s", created.sid, shape[0])
            return self._sids[shape]
