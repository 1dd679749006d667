"""Render a `Reply` as a Telegram message: choices as an inline keyboard, contact request as a reply
keyboard, media as a photo or a document."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

import metrics
from handlers.types import Reply
from locales import T
from models.enums import Channel

CHANNEL = "telegram"  # texts name slash commands here (`locales.commands`)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None

# A direct reply waits out Telegram's per-chat flood control (a turn may answer with several
# messages in a row) instead of losing the rest of the answer; beyond this many waits it gives up.
MAX_FLOOD_WAITS = 3


def keyboard(reply: Reply, locale: str) -> dict[str, Any] | None:
    """The reply's keyboard as the Bot API's JSON: a webhook answer carries it as it is."""
    if reply.request_contact:
        button = {"text": T("join.share_phone").render(locale), "request_contact": True}
        return {"keyboard": [[button]], "resize_keyboard": True, "one_time_keyboard": True}
    if not reply.choices:
        return None
    rows = [
        [{"text": choice.label.render(locale), "callback_data": choice.value}] for choice in reply.choices
    ]
    return {"inline_keyboard": rows}


def markup(reply: Reply, locale: str) -> Markup:
    """The same keyboard as aiogram's model, for a request of its own."""
    layout = keyboard(reply, locale)
    if layout is None:
        return None
    if "inline_keyboard" in layout:
        return InlineKeyboardMarkup.model_validate(layout)
    return ReplyKeyboardMarkup.model_validate(layout)


async def send_reply(bot: Bot, chat_id: int | str, reply: Reply, fallback_locale: str) -> None:
    locale = reply.locale or fallback_locale
    text = reply.text.render(locale, CHANNEL)
    buttons = markup(reply, locale)
    if reply.media_path:
        path = Path(reply.media_path)
        media = BufferedInputFile(path.read_bytes(), filename=path.name)
        if reply.media_once:
            path.unlink(missing_ok=True)  # a data export: sent once, kept nowhere
        if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
            await waiting_out_flood(
                lambda: bot.send_photo(chat_id, media, caption=text[:1024], reply_markup=buttons)
            )
        else:
            await waiting_out_flood(
                lambda: bot.send_document(chat_id, media, caption=text[:1024], reply_markup=buttons)
            )
        return
    await waiting_out_flood(lambda: bot.send_message(chat_id, text, reply_markup=buttons))


async def waiting_out_flood(call: Callable[[], Awaitable[Any]]) -> Any:
    for _ in range(MAX_FLOOD_WAITS):
        try:
            return await call()
        except TelegramRetryAfter as flood:
            metrics.reply_throttled(Channel.TELEGRAM, flood.retry_after)
            await asyncio.sleep(flood.retry_after)
    return await call()
