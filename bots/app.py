"""The process: one asyncio loop running the Telegram adapter, the web server (Twilio webhooks,
Telegram webhook), the scheduler and the outbox dispatcher, with a clean stop on SIGTERM.

This is the one place that knows every part and wires them together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from sqlalchemy import Engine

from bots import turns
from bots.telegram.app import build_dispatcher
from bots.telegram.sender import TelegramSender
from bots.telegram.webhook import register_webhook
from bots.web import SandboxLink, mount_web
from bots.whatsapp.setup import TwilioAdapter
from bots.whatsapp.setup import register as register_twilio
from handlers.context import Config
from models.clock import utcnow
from models.enums import Channel
from models.migrate import upgrade
from models.store import make_engine
from scheduler.app import run_scheduler
from scheduler.dispatcher import Dispatcher as OutboxDispatcher
from scheduler.sender import Sender
from settings import Settings

log = logging.getLogger("ustaz")

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
# What one process runs: "bot" takes updates (polling or webhooks) and serves the pages, "dispatcher"
# drains the outbox, "scheduler" derives notifications (one leader on PostgreSQL).
ROLES = ("bot", "dispatcher", "scheduler")


def make_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    return Bot(settings.telegram_bot_token, session=session)


@dataclass
class Running:
    """Handles to a started system, for the caller (the CLI, tests) to inspect or stop."""

    settings: Settings
    engine: Engine
    web_url: str
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    outbox: OutboxDispatcher | None = None
    senders: dict[str, Sender] = field(default_factory=dict)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def stop(self) -> None:
        self.stop_event.set()
        if self.dispatcher is not None:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for cleanup in reversed(self.cleanups):
            await cleanup()
        turns.close(self.engine)
        self.engine.dispose()


def handler_config(
    settings: Settings,
    bot_username: str = "",
    clock: Callable[[], datetime] = utcnow,
    on_enqueued: Callable[[], None] = lambda: None,
) -> Config:
    return Config.from_settings(settings, bot_username=bot_username, clock=clock, on_enqueued=on_enqueued)


async def start(
    settings: Settings, sandbox: SandboxLink | None = None, roles: Collection[str] = ROLES
) -> Running:
    """Start the parts for these settings and `roles` and return at once; `Running.stop()` ends
    them. With `sandbox`, the sandbox page is served and the scheduler and outbox run on its clock."""
    takes_updates = "bot" in roles
    alone = set(roles) >= set(ROLES)  # every role here: rows left "sending" are this process's own
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    await asyncio.to_thread(upgrade, engine)

    app = web.Application()
    runner = web.AppRunner(app)
    running = Running(settings=settings, engine=engine, web_url="")
    clock = sandbox.clock if sandbox is not None else utcnow

    def wake_outbox() -> None:
        if running.outbox is not None:
            running.outbox.notify()

    loop = asyncio.get_running_loop()

    def wake_outbox_from_store() -> None:
        loop.call_soon_threadsafe(wake_outbox)

    if settings.telegram_bot_token and not takes_updates:
        running.bot = make_bot(settings)
        running.cleanups.append(running.bot.session.close)
        running.senders[Channel.TELEGRAM.value] = TelegramSender(running.bot)
    elif settings.telegram_bot_token:
        bot = make_bot(settings)
        me = await bot.get_me()
        dispatcher = build_dispatcher(
            engine,
            handler_config(settings, me.username or "", clock, wake_outbox_from_store),
            settings.max_photo_bytes,
        )
        running.bot, running.dispatcher = bot, dispatcher
        running.cleanups.append(bot.session.close)
        if settings.telegram_webhook_url:
            register_webhook(
                app, TELEGRAM_WEBHOOK_PATH, dispatcher, bot, settings.telegram_webhook_secret or ""
            )
            # Telegram is told about the webhook once the server below is listening.
        else:
            await bot.delete_webhook()
            running.tasks.append(
                asyncio.create_task(
                    dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False),
                    name="telegram-polling",
                )
            )
        running.senders[Channel.TELEGRAM.value] = TelegramSender(bot)
        log.info("telegram adapter started (bot id %s)", me.id)

    twilio: TwilioAdapter | None = None
    if settings.twilio_account_sid:
        twilio = register_twilio(
            app,
            engine,
            handler_config(settings, clock=clock, on_enqueued=wake_outbox_from_store),
            settings,
            wake_outbox=wake_outbox,
        )
        running.senders.update(twilio.senders)
        running.cleanups.append(twilio.close)
        log.info("twilio adapter started (%s)", ", ".join(sorted(twilio.senders)) or "no senders")

    # The outbox copies its senders, so it is built once every adapter has registered its own.
    if "dispatcher" in roles:
        running.outbox = OutboxDispatcher(
            engine,
            running.senders,
            settings,
            clock=clock,
            single_process=alone,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )
        running.tasks.append(asyncio.create_task(running.outbox.run(running.stop_event), name="outbox"))
    if "scheduler" in roles:
        scheduling = run_scheduler(
            engine,
            settings,
            running.stop_event,
            on_derived=wake_outbox,
            clock=clock,
            standby_poll=settings.scheduler_standby_poll_seconds,
        )
        running.tasks.append(asyncio.create_task(scheduling, name="scheduler"))
    if not takes_updates:
        log.info("Ustaz is running: %s", ", ".join(sorted(roles)))
        return running
    mount_web(app, engine, settings, wake_outbox, sandbox)

    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else settings.http_port
    running.web_url = f"http://{settings.http_host}:{port}"
    if running.bot is not None and settings.telegram_webhook_url:
        await running.bot.set_webhook(
            settings.telegram_webhook_url.rstrip("/") + TELEGRAM_WEBHOOK_PATH,
            secret_token=settings.telegram_webhook_secret or None,
            drop_pending_updates=False,
        )
    if twilio is not None and not settings.public_base_url:
        twilio.set_public_url(running.web_url)  # no proxy: Twilio calls this address directly
    running.cleanups.insert(0, runner.cleanup)
    return running


async def serve(
    settings: Settings,
    announce: Callable[[Running], None] | None = None,
    sandbox: SandboxLink | None = None,
    roles: Collection[str] = ROLES,
) -> None:
    """Run until SIGTERM or SIGINT."""
    running = await start(settings, sandbox, roles)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, running.stop_event.set)
    if announce:
        announce(running)
    try:
        await running.stop_event.wait()
    finally:
        log.info("stopping")
        await running.stop()


def announce(running: Running) -> None:
    if running.web_url:
        log.info("Ustaz is running; webhooks and pages at %s", running.web_url)
