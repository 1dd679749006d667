"""The emulator's in-memory world: users, chats, stored files and messages, plus Telegram JSON shapes."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Json = dict[str, Any]

# Telegram's limits that the emulator enforces.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,64}")


class Counter:
    """A sequence like `itertools.count` whose next value can be read and set, so a restarted
    emulator goes on from where it stopped (`snapshot`): Telegram never numbers an update or a
    chat's message twice."""

    def __init__(self, start: int = 1) -> None:
        self.value = start

    def __next__(self) -> int:
        value = self.value
        self.value += 1
        return value

    def __iter__(self) -> Counter:
        return self


def now_ts() -> int:
    """Wall-clock Unix time, as Telegram puts in ``date``."""
    return int(time.time())


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[Json]:
    """The ``bot_command`` and ``mention`` entities Telegram would attach to ``text``."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), kind))
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in found
    ]


@dataclass
class User:
    """A Telegram account that can talk to the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class Chat:
    """A private chat (id = the user's id) or a group / supergroup (negative id).

    ``blocked`` means the user blocked the bot (private) or removed it (group: the bot is kicked);
    ``started`` is False for a private chat whose user never wrote to the bot.
    """

    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    blocked: bool = False
    started: bool = True
    migrated_to: int | None = None
    next_message_id: int = 1
    reply_keyboard: Json | None = None

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_json(self) -> Json:
        if self.user is not None:
            data: Json = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title or ""}

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class StoredFile:
    """One file Telegram holds: a photo size, or a document. ``data`` is the exact bytes."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_size_json(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.size,
        }

    def document_json(self) -> Json:
        data: Json = {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.size}
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def file_json(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class ChatMessage:
    """One message in a chat, as the emulator records it.

    ``message`` is the Telegram ``Message`` JSON, kept current (edits applied). ``reply_markup`` is the
    markup exactly as the bot sent it, any kind (Telegram only echoes inline keyboards back in
    ``message``). ``media`` holds the files: for a photo, the largest size; for a document, the file.
    ``seq`` grows on every change, so a page can poll ``since`` a number.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    sender_id: int
    message: Json
    reply_markup: Json | None = None
    media: list[StoredFile] = field(default_factory=list)
    edited: bool = False
    deleted: bool = False
    seq: int = 0

    @property
    def text(self) -> str | None:
        return self.message.get("text")

    @property
    def caption(self) -> str | None:
        return self.message.get("caption")

    @property
    def media_group_id(self) -> str | None:
        return self.message.get("media_group_id")

    @property
    def inline_keyboard(self) -> list[list[Json]]:
        markup = self.reply_markup or {}
        return list(markup.get("inline_keyboard") or [])

    def to_json(self, file_url: str = "/_emulator/files/") -> Json:
        """Plain JSON for the control API; media bytes are linked, not inlined."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "sender_id": self.sender_id,
            "seq": self.seq,
            "text": self.text,
            "caption": self.caption,
            "media_group_id": self.media_group_id,
            "reply_markup": self.reply_markup,
            "edited": self.edited,
            "deleted": self.deleted,
            "media": [
                {
                    "kind": f.kind,
                    "file_id": f.file_id,
                    "file_name": f.file_name,
                    "mime_type": f.mime_type,
                    "size": f.size,
                    "width": f.width,
                    "height": f.height,
                    "url": file_url + f.file_id,
                }
                for f in self.media
            ],
            "message": self.message,
        }


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook: the HTTP status (None if the connection failed)."""

    update_id: int
    status: int | None
    error: str | None = None
    method: str | None = None
    method_error: str | None = None

    def to_json(self) -> Json:
        return {
            "update_id": self.update_id,
            "status": self.status,
            "error": self.error,
            "method": self.method,
            "method_error": self.method_error,
        }


@lru_cache(maxsize=16)
def image_sizes(data: bytes) -> tuple[tuple[bytes, int, int], ...]:
    """Photo sizes Telegram would make: a few downscaled copies and the original, smallest first.

    Bytes that are not an image (tests often send placeholders) still get two sizes, both the same
    bytes with nominal dimensions, so code under test always sees Telegram's list shape. The same
    bytes sent again (a benchmark's photo, a test's fixture) are not scaled again.
    """
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            sizes: list[tuple[bytes, int, int]] = []
            for side in (90, 320, 800):
                if max(width, height) <= side:
                    break
                copy = image.convert("RGB")
                copy.thumbnail((side, side))
                out = io.BytesIO()
                copy.save(out, "JPEG", quality=80)
                sizes.append((out.getvalue(), copy.width, copy.height))
            if not sizes:
                sizes.append((data, width, height))
            sizes.append((data, width, height))
            return tuple(sizes)
    except Exception:
        return ((data, 320, 240), (data, 1280, 960))
