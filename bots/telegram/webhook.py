"""Telegram's webhook: each update is handled before it is answered, and the answer may carry the
update's last reply (see webhook_answer.py).

Answering once the update is handled lets a burst wait at Telegram (which sends up to 40 at once)
instead of piling up here as tasks, and an update whose turn failed is sent again (the inbound
receipt makes a handled one count once). The answer is JSON: aiogram's own webhook handler always
writes a multipart form, which cost as much CPU as sending the reply as a request of its own.

An update that carries the secret but is not one (fields missing or of the wrong type) is answered
200 and dropped with one log line: Telegram sends a 5xx again and again, and a 4xx is no better.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp import web
from pydantic import ValidationError

from bots.telegram.webhook_answer import WebhookAnswer

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class TelegramWebhook:
    dispatcher: Dispatcher
    bot: Bot
    secret: str


WEBHOOK = web.AppKey("telegram_webhook", TelegramWebhook)


def register_webhook(app: web.Application, path: str, dispatcher: Dispatcher, bot: Bot, secret: str) -> None:
    """Take Telegram's POSTs at `path`; with a `secret`, only those that carry it."""
    app[WEBHOOK] = TelegramWebhook(dispatcher, bot, secret)
    app.router.add_post(path, take_update)


def _what(error: Exception) -> str:
    """One line about a dropped update: how many fields were wrong, not their values."""
    if isinstance(error, ValidationError):
        return f"not an update ({error.error_count()} fields missing or wrong)"
    return "no event in it"


async def take_update(request: web.Request) -> web.Response:
    webhook = request.app[WEBHOOK]
    if webhook.secret and not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), webhook.secret):
        return web.Response(status=401, text="Unauthorized")
    try:
        update = await request.json()
    except ValueError:
        return web.Response(status=400, text="the body is not JSON")
    if not isinstance(update, dict):
        return web.Response(status=400, text="the body is not an update")
    try:
        parsed = Update.model_validate(update, context={"bot": webhook.bot})
        parsed.event_type  # noqa: B018  (raises for an update that carries no event)
    except (ValidationError, UpdateTypeLookupError) as error:
        log.warning("telegram: dropped update %s: %s", str(update.get("update_id"))[:20], _what(error))
        return web.json_response({})
    answer = WebhookAnswer()
    # Past aiogram's wait (55 s) the update goes on in the background; the answer is closed
    # by then, so its reply is sent as a request of its own.
    await webhook.dispatcher.feed_webhook_update(webhook.bot, parsed, webhook_answer=answer)
    return web.json_response(answer.close() or {})
