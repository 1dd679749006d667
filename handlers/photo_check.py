"""A page a tutor could not read — too small, too dark, too blurred (`photos.legibility`, measured
in the photo pipeline) — is flagged to the pupil at once, before it is handed in: «Фото қараңғы
шықты — терезенің жанында қайта түсіріп көресіз бе?», with the choice to send it anyway.

The photos wait, stored, in the conversation state (`FLOW`) until the answer: "send anyway" hands
them in as they are (`handlers.hand_in.on_check`), "I'll take it again" drops them, and new photos
sent instead are the page taken again. The rest of an album whose question is asked joins the
photos waiting, without a second question.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import conversation
from handlers.context import Turn
from handlers.homework import PREFIX
from handlers.submissions import photo_from_json, photo_json
from handlers.types import Choice, Reply
from locales import T
from photos.pipeline import StoredPhoto

FLOW = "hw_check"
CHECK = f"{PREFIX}check:"
SEND = f"{CHECK}send"
RETAKE = f"{CHECK}retake"
# The reason told first when pages fail in different ways: the one a new photo fixes most surely.
REASONS = ("small", "dark", "blurred")


@dataclass(frozen=True)
class Held:
    photos: list[StoredPhoto]
    album: str | None
    reason: str


def unreadable(photos: list[StoredPhoto]) -> str | None:
    """Why some of these pages cannot be read (the first of `REASONS`), or None."""
    found = {photo.unreadable for photo in photos}
    return next((reason for reason in REASONS if reason in found), None)


def ask(turn: Turn, photos: list[StoredPhoto]) -> Reply:
    """Hold the photos and ask whether to send them as they are."""
    reason = unreadable(photos) or REASONS[-1]
    conversation.enter(
        turn, FLOW, "ask", pending=[photo_json(p) for p in photos], album=turn.inbound.album_id, reason=reason
    )
    bad = next((number for number, photo in enumerate(photos, start=1) if photo.unreadable), 1)
    which = T("photo_check.which", page=bad, pages=len(photos)) if len(photos) > 1 else ""
    return Reply(
        T(f"photo_check.{reason}", which=which),
        choices=(Choice(RETAKE, T("photo_check.choice.retake")), Choice(SEND, T("photo_check.choice.send"))),
    )


def held(turn: Turn) -> Held | None:
    """The photos waiting for the answer, unless the question has gone stale."""
    state = conversation.load(turn)
    if state.flow != FLOW or conversation.is_stale(turn, state.updated_at):
        return None
    photos = [photo_from_json(item) for item in state.data.get("pending") or []]
    return Held(photos, state.data.get("album"), str(state.data.get("reason") or REASONS[-1]))


def hold_more(turn: Turn, photos: list[StoredPhoto]) -> None:
    """More pages of the album waiting: they wait with it, and the question stays asked."""
    state = conversation.load(turn)
    data = dict(state.data)
    data["pending"] = [*(data.get("pending") or []), *(photo_json(p) for p in photos)]
    conversation.enter(turn, FLOW, "ask", **data)
