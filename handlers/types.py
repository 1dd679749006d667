"""The inbound seam: what a channel adapter hands to the handlers, and what it gets back.

Nothing here knows a messenger. An adapter builds an `Inbound` from its update, calls the router,
and renders each `Reply` in its own way (inline keyboard, quick replies, numbered list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from locales import Text

if TYPE_CHECKING:
    from photos.pipeline import Page


@dataclass(frozen=True)
class Identity:
    """Who wrote: a channel and the address on it (Telegram user id, E.164 number)."""

    channel: str
    address: str
    display_name: str = ""


@dataclass(frozen=True)
class Chat:
    """Where they wrote: a private chat or a group chat (Telegram groups only)."""

    id: str
    is_group: bool = False
    title: str = ""


@dataclass(frozen=True)
class Upload:
    """A file the person sent, downloaded by the adapter. A file over the size limit is not fetched:
    `data` is empty and `size` says how big it was, so the handler can answer in the person's language."""

    data: bytes
    content_type: str
    filename: str = ""
    as_document: bool = False
    size: int = 0
    # The photo pipeline's outcome, worked out before the turn's transaction (`handlers.uploads.prepare`):
    # the normalised page (with its legibility), or why the file is refused as a page.
    page: Page | None = None
    refused: str | None = None

    @property
    def is_sound(self) -> bool:
        """A voice note or an audio file: a message to a person, never a page of homework."""
        return self.content_type.startswith("audio/")


@dataclass(frozen=True)
class Inbound:
    identity: Identity
    chat: Chat
    text: str = ""
    uploads: tuple[Upload, ...] = ()
    choice: str | None = None
    locale_hint: str | None = None
    album_id: str | None = None
    contact_phone: str | None = None
    external_id: str | None = None
    # The bot's message whose button this is ("chat:message"), where the messenger says: a message's
    # buttons are answered once (a second tap on them changes nothing, `handlers.router`).
    answers: str | None = None
    # The messenger's id of the bot's message this one replies to (Telegram's reply_to_message),
    # so an answer finds the thread of the message it answers.
    reply_to: str | None = None
    # The start of that message as the messenger quotes it (only the bot's own): a thread's message
    # begins with its reference, "#12 · …", which finds the thread while the outbox is still
    # recording the delivery.
    quoted: str = ""
    # Something sent that no message can carry on (a sticker, a location, a poll): its kind.
    unsupported: str = ""


@dataclass(frozen=True)
class Choice:
    """A button: `value` comes back as `Inbound.choice` when pressed (or typed as its number)."""

    value: str
    label: Text


@dataclass(frozen=True)
class Reply:
    text: Text
    choices: tuple[Choice, ...] = ()
    media_path: str | None = None
    media_once: bool = False  # the file is deleted once sent (a family's data export)
    locale: str | None = None
    request_contact: bool = False
    # Where this reply's choices start in a numbered list spanning all replies of the turn.
    first_number: int = 1
