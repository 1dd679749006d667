"""The outbox's way into Telegram: one `send` per rendered message, Telegram's errors mapped onto
the dispatcher's outcomes (429 → retry after N s, 403 → blocked, 400 → failed, network → retry)."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from models.enums import Channel
from outbox.sender import Outcome, Outgoing, SendResult

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


class TelegramSender:
    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sent = await self._send(message)
        except TelegramRetryAfter as error:
            return SendResult(Outcome.THROTTLED, retry_after=float(error.retry_after), error="429")
        except TelegramForbiddenError:
            return SendResult(Outcome.BLOCKED, error="403")
        except TelegramMigrateToChat as error:
            return SendResult(Outcome.FAILED, error=f"migrated:{error.migrate_to_chat_id}")
        except TelegramBadRequest as error:
            return SendResult(Outcome.FAILED, error=f"400:{error.message[:120]}")
        except (TelegramNetworkError, TelegramServerError) as error:
            return SendResult(Outcome.RETRY, error=type(error).__name__)
        return SendResult(Outcome.DELIVERED, provider_id=str(sent))

    async def _send(self, message: Outgoing) -> int:
        chat_id = int(message.address)
        if message.media_path:
            path = Path(message.media_path)
            media = BufferedInputFile(path.read_bytes(), filename=path.name)
            # A text too long for a caption follows the file as its own message, uncut.
            fits = len(message.text) <= CAPTION_LIMIT
            caption = message.text if fits else None
            if path.suffix.lower() in PHOTO_SUFFIXES:
                sent = await self.bot.send_photo(chat_id, media, caption=caption)
            else:
                sent = await self.bot.send_document(chat_id, media, caption=caption)
            if fits:
                return sent.message_id
        return (await self.bot.send_message(chat_id, message.text[:TEXT_LIMIT])).message_id
