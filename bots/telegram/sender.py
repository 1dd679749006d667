"""The outbox's way into Telegram: one `send` per rendered message, Telegram's errors mapped onto
the dispatcher's outcomes (429 → retry after N s, 403 → blocked, 400 → failed, network → retry).

A text message, nearly every message the outbox sends, goes as one JSON `sendMessage` over the
bot's own aiogram session (its aiohttp connection pool, server address and timeout), and of a
successful answer only `ok` and the message id are read. Going through `Bot.send_message` cost
more than half the outbox's time per message on the loop: a pydantic model for the method, a
form-encoded body, and the whole answer validated into a `Message` that the outbox never reads.
An answer that is not a plain success is handed to aiogram's own `check_response`, so errors are
the exceptions aiogram raises for any call. Files (photos, documents) still go through
`Bot.send_photo` / `Bot.send_document`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile
from aiohttp import ClientError, ClientTimeout
from yarl import URL

from models.enums import Channel
from outbox.sender import Outcome, Outgoing, SendResult

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
JSON_BODY = {"Content-Type": "application/json"}


class TelegramSender:
    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._send_message_url: URL | None = None
        self._timeout: ClientTimeout | None = None

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
        return await self._send_text(chat_id, message.text[:TEXT_LIMIT])

    async def _send_text(self, chat_id: int, text: str) -> int:
        """`sendMessage` as JSON over the bot's session; the new message's id."""
        session = self.bot.session
        if not isinstance(session, AiohttpSession):  # another transport: aiogram's own way
            return (await self.bot.send_message(chat_id, text)).message_id
        if self._send_message_url is None:
            self._send_message_url = URL(session.api.api_url(token=self.bot.token, method="sendMessage"))
        if self._timeout is None or self._timeout.total != session.timeout:
            self._timeout = ClientTimeout(total=session.timeout)
        http = await session.create_session()
        # Bytes, not a str: aiohttp then sends them as they are, without working out an encoding.
        body = session.json_dumps({"chat_id": chat_id, "text": text}).encode()
        try:
            async with http.post(
                self._send_message_url, data=body, headers=JSON_BODY, timeout=self._timeout
            ) as answer:
                status, raw = answer.status, await answer.read()
        except (TimeoutError, ClientError) as error:
            method = SendMessage(chat_id=chat_id, text=text)
            raise TelegramNetworkError(method, type(error).__name__) from error
        if status == 200:
            sent = _message_id(raw)
            if sent is not None:
                return sent
        # Not a plain success: aiogram reads the answer and raises what it raises for any call.
        content = raw.decode("utf-8", errors="replace")
        session.check_response(self.bot, SendMessage(chat_id=chat_id, text=text), status, content)
        raise TelegramServerError(SendMessage(chat_id=chat_id, text=text), f"unexpected answer {status}")


def _message_id(content: bytes) -> int | None:
    """The message id of a successful `sendMessage` answer; None for anything else."""
    try:
        answer: Any = json.loads(content)
        if answer["ok"] is True:
            return int(answer["result"]["message_id"])
    except (ValueError, TypeError, KeyError):
        pass
    return None
