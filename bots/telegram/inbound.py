"""Turn aiogram objects into the channel-neutral `Inbound`, downloading any files first."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import CallbackQuery, Message

from handlers.types import Chat, Identity, Inbound, Upload
from models.enums import Channel


def _identity(user_id: int, first_name: str) -> Identity:
    return Identity(channel=Channel.TELEGRAM, address=str(user_id), display_name=first_name)


async def _download(bot: Bot, file_id: str, size: int | None, limit: int) -> bytes:
    """Files above the limit are not fetched: the handler answers "too big" from the size alone."""
    if size is not None and size > limit:
        return b""
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    return buffer.getvalue()


async def message_to_inbound(message: Message, bot: Bot, max_bytes: int) -> Inbound | None:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    uploads: list[Upload] = []
    if message.photo:
        largest = message.photo[-1]
        data = await _download(bot, largest.file_id, largest.file_size, max_bytes)
        uploads.append(Upload(data=data, content_type="image/jpeg", size=largest.file_size or len(data)))
    elif sound := message.voice or message.audio:
        data = await _download(bot, sound.file_id, sound.file_size, max_bytes)
        uploads.append(
            Upload(
                data=data,
                content_type=sound.mime_type or "audio/ogg",
                filename="voice.ogg" if message.voice else (getattr(sound, "file_name", None) or "audio"),
                as_document=True,
                size=sound.file_size or len(data),
            )
        )
    elif message.document:
        doc = message.document
        data = await _download(bot, doc.file_id, doc.file_size, max_bytes)
        uploads.append(
            Upload(
                data=data,
                content_type=doc.mime_type or "application/octet-stream",
                filename=doc.file_name or "",
                as_document=True,
                size=doc.file_size or len(data),
            )
        )
    replied = message.reply_to_message
    contact = message.contact
    own_contact = contact is not None and contact.user_id == user.id
    return Inbound(
        identity=_identity(user.id, user.first_name),
        chat=Chat(
            id=str(message.chat.id),
            is_group=message.chat.type in ("group", "supergroup"),
            title=message.chat.title or "",
        ),
        text=message.text or message.caption or "",
        uploads=tuple(uploads),
        locale_hint=user.language_code,
        album_id=message.media_group_id,
        contact_phone=contact.phone_number if contact is not None and own_contact else None,
        external_id=f"m{message.chat.id}:{message.message_id}",
        reply_to=str(replied.message_id) if replied is not None else None,
        quoted=_quoted(replied),
        unsupported=_unsupported(message) if not uploads and not message.text and contact is None else "",
    )


QUOTED = 40  # characters of a replied message kept: enough for its reference


def _quoted(replied: Message | None) -> str:
    """The start of the bot's message being replied to (a person's own messages prove nothing)."""
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return ""
    return (replied.text or replied.caption or "")[:QUOTED]


# Kinds of message nothing in the system carries on: the person is told so in words.
UNSUPPORTED = ("sticker", "location", "venue", "poll", "dice", "video", "video_note", "animation", "game")


def _unsupported(message: Message) -> str:
    return next((kind for kind in UNSUPPORTED if getattr(message, kind, None) is not None), "")


def callback_to_inbound(query: CallbackQuery) -> Inbound:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    answers = f"{chat_id}:{query.message.message_id}" if query.message else None
    return Inbound(
        identity=_identity(query.from_user.id, query.from_user.first_name),
        chat=Chat(id=str(chat_id)),
        choice=query.data or "",
        locale_hint=query.from_user.language_code,
        external_id=f"c{query.id}",
        answers=answers,
    )
