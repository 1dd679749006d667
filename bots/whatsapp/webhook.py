"""The webhooks Twilio calls: POST /twilio/whatsapp, /twilio/sms (inbound messages) and /twilio/status
(delivery status callbacks).

A body that is not a form is refused with 400 (`bots.posted`). Every request is checked with
twilio's `RequestValidator` over the public URL Twilio called (the
PUBLIC_BASE_URL setting plus the path; the request's own URL when unset) and every posted field; a
missing or forged signature gets 403 and changes nothing.

Twilio waits at most 15 s, so the answer is an empty TwiML document right after the check, and the
turn runs afterwards: media download, the handlers (`handlers.router.process`, which records the
MessageSid, so a retried webhook is processed once), the replies over the REST API, then the media
deleted at Twilio (our copy is the record; a late retry finds it gone and its MessageSid recorded).

Direct replies go straight out rather than through the outbox: they answer the person who wrote,
inside WhatsApp's 24-hour session by definition, in the order the handlers gave them, without waiting
for a dispatcher round; anything for anyone else is in the outbox already. Turns of one number run one
after another. The price of answering first: a turn cut by a crash is not retried by Twilio.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from twilio.request_validator import RequestValidator

from bots.posted import posted_form
from bots.turns import run_turn
from bots.whatsapp.inbound import Parsed, parse_form, to_inbound
from bots.whatsapp.media import MediaFetcher
from bots.whatsapp.sender import STATUS_PATH, TwilioSender
from bots.whatsapp.status import apply_when_known, parse_status
from handlers.context import Config
from outbox.settle import DeliveryReport

log = logging.getLogger(__name__)

WHATSAPP_PATH = "/twilio/whatsapp"
SMS_PATH = "/twilio/sms"
TURNS_AT_ONCE = 4
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioWebhooks:
    def __init__(
        self,
        engine: Engine,
        config: Config,
        auth_token: str,
        public_base_url: str,
        senders: dict[str, TwilioSender],
        fetcher: MediaFetcher,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.validator = RequestValidator(auth_token)
        self.public_base_url = public_base_url.rstrip("/")
        self.senders = senders
        self.fetcher = fetcher
        self.wake_outbox = wake_outbox
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task[None]] = set()
        # A burst of messages queues here rather than crowding the loop that answers Twilio.
        self._turns = asyncio.Semaphore(TURNS_AT_ONCE)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WHATSAPP_PATH, self.on_whatsapp)
        app.router.add_post(SMS_PATH, self.on_sms)
        app.router.add_post(STATUS_PATH, self.on_status)

    async def on_whatsapp(self, request: web.Request) -> web.Response:
        return await self._on_message(request, "whatsapp")

    async def on_sms(self, request: web.Request) -> web.Response:
        return await self._on_message(request, "sms")

    async def on_status(self, request: web.Request) -> web.Response:
        form = await self._signed_form(request)
        update = parse_status(form)
        if update is not None:
            self._background(self._status(update))
        return web.Response(status=204)

    async def _on_message(self, request: web.Request, channel: str) -> web.Response:
        form = await self._signed_form(request)
        parsed = parse_form(channel, form)
        if parsed is not None:
            self._background(self._turn(parsed))
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    async def _signed_form(self, request: web.Request) -> dict[str, str]:
        post = await posted_form(request)
        if post is None:
            raise web.HTTPBadRequest(text="the body is not a form")
        form = {name: str(value) for name, value in post.items()}
        url = self.public_base_url + request.path_qs if self.public_base_url else str(request.url)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not self.validator.validate(url, form, signature):
            log.warning("twilio: refused a request to %s with a bad signature", request.path)
            raise web.HTTPForbidden()
        return form

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _turn(self, parsed: Parsed) -> None:
        lock = self._locks.setdefault(parsed.number, asyncio.Lock())
        try:
            async with lock, self._turns:
                inbound = await to_inbound(parsed, self.fetcher.fetch, self.config.max_photo_bytes)
                replies = await run_turn(self.engine, inbound, self.config)
                sender = self.senders[parsed.channel]
                for reply in replies:
                    await sender.reply(parsed.number, reply, self.config.default_locale)
                for item in parsed.media:
                    await self.fetcher.delete(item.url)
        except Exception:
            log.exception("twilio: turn for message %s failed", parsed.message_sid)

    async def _status(self, update: DeliveryReport) -> None:
        lock = self._locks.setdefault(update.provider_id, asyncio.Lock())
        try:
            async with lock:  # one message's callbacks in the order they came
                handed_back = await apply_when_known(self.engine, update)
            if handed_back:
                self.wake_outbox()
        except Exception:
            log.exception("twilio: status for message %s not recorded", update.provider_id)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the turns and callbacks under way (at shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
