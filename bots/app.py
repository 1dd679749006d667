"""The process: one asyncio loop running the Telegram adapter, the web server (Twilio webhooks,
Telegram webhook, the dashboard), the scheduler and the outbox dispatcher, with a clean stop on SIGTERM.

This is the composition root: the one module that builds every part and wires them together. The
command line (`bots.cli`) only chooses what to start; the sandbox (`sandbox.runtime`) starts this same
process with `Additions` (its page and a clock a visitor moves forward), which the product never imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from sqlalchemy import Engine

from bots import turns
from bots.health import health_app, mount_health
from bots.telegram.app import build_dispatcher
from bots.telegram.sender import TelegramSender
from bots.telegram.webhook import register_webhook
from bots.web import Pages, mount_web
from bots.whatsapp.setup import TwilioAdapter
from bots.whatsapp.setup import register as register_twilio
from handlers.context import Config
from models.clock import utcnow
from models.enums import Channel
from models.migrate import upgrade
from models.store import make_engine
from outbox.sender import Sender
from scheduler.app import run_scheduler
from scheduler.dispatcher import Dispatcher as OutboxDispatcher
from settings import Settings, SettingsError

log = logging.getLogger("ustaz")

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"
# What one process runs: "bot" takes updates (polling or webhooks) and serves the pages, "dispatcher"
# drains the outbox, "scheduler" derives notifications (one leader on PostgreSQL).
ROLES = ("bot", "dispatcher", "scheduler")
OUTBOX_TASK = "outbox"
DRAIN_MARGIN = 5.0  # seconds beyond the outbox's drain bound for giving back what did not finish


def make_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/")))
    return Bot(settings.telegram_bot_token, session=session)


@dataclass(frozen=True)
class Additions:
    """What a caller adds to the process beyond the product: web pages of its own (called with the
    web application once the product's pages are in place) and the clock the handlers, scheduler and
    outbox run on. The sandbox adds its page and a clock a visitor moves forward."""

    pages: Pages | None = None
    clock: Callable[[], datetime] = utcnow


@dataclass
class Running:
    """Handles to a started system, for the caller (the CLI, tests) to inspect or stop."""

    settings: Settings
    engine: Engine
    roles: tuple[str, ...] = ROLES
    web_url: str = ""
    bot: Bot | None = None
    bot_username: str = ""
    dispatcher: Dispatcher | None = None
    outbox: OutboxDispatcher | None = None
    senders: dict[str, Sender] = field(default_factory=dict)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)

    def wake_outbox(self) -> None:
        """New outbox rows: the dispatcher looks now rather than at its next poll."""
        if self.outbox is not None:
            self.outbox.notify()

    def wake_outbox_from_store(self) -> None:
        """The same, from a turn's worker thread once its transaction has committed."""
        self.loop.call_soon_threadsafe(self.wake_outbox)

    def run_task(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self.tasks.append(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        self.stop_event.set()
        if self.dispatcher is not None:
            with contextlib.suppress(RuntimeError):
                await self.dispatcher.stop_polling()
        if self.outbox is not None:
            # The outbox drains itself within its bound once the stop event is set: wait for it.
            draining = [task for task in self.tasks if task.get_name() == OUTBOX_TASK]
            if draining:
                await asyncio.wait(draining, timeout=self.outbox.drain + DRAIN_MARGIN)
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
    settings: Settings, roles: Collection[str] = ROLES, *, additions: Additions = Additions()
) -> Running:
    """Start the parts for these settings and `roles` and return at once; `Running.stop()` ends
    them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    await asyncio.to_thread(upgrade, engine)
    running = Running(settings=settings, engine=engine, roles=tuple(roles))
    app = web.Application()
    if settings.telegram_bot_token:
        await start_telegram(running, app, "bot" in roles, additions.clock)
    twilio = start_twilio(running, app, additions.clock) if settings.twilio_account_sid else None
    # The outbox copies its senders, so it is built once every adapter has registered its own.
    if "dispatcher" in roles:
        start_outbox(running, additions.clock, single_process=set(roles) >= set(ROLES))
    if "scheduler" in roles:
        start_scheduler(running, additions.clock)
    if "bot" not in roles:
        await listen(running, health_app(running, additions.clock))  # health and metrics only
        return running
    mount_web(app, engine, settings, running.wake_outbox, additions.pages, running.bot_username)
    mount_health(app, running, additions.clock)
    await serve_web(running, app, twilio)
    return running


async def start_telegram(
    running: Running, app: web.Application, takes_updates: bool, clock: Callable[[], datetime]
) -> None:
    """The Telegram sender; in a process that takes updates, also the dispatcher, fed by polling or
    by the webhook (Telegram is told about the webhook once the server listens: `serve_web`)."""
    settings = running.settings
    bot = make_bot(settings)
    running.bot = bot
    running.cleanups.append(bot.session.close)
    running.senders[Channel.TELEGRAM.value] = TelegramSender(bot)
    if not takes_updates:
        return
    me = await bot.get_me()
    running.bot_username = me.username or ""
    config = handler_config(settings, me.username or "", clock, running.wake_outbox_from_store)
    running.dispatcher = build_dispatcher(running.engine, config, settings.max_photo_bytes)
    if settings.telegram_webhook_url:
        register_webhook(
            app, TELEGRAM_WEBHOOK_PATH, running.dispatcher, bot, settings.telegram_webhook_secret or ""
        )
    else:
        await bot.delete_webhook()
        polling = running.dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
        running.run_task(polling, "telegram-polling")
    log.info("telegram adapter started (bot id %s)", me.id)


def start_twilio(running: Running, app: web.Application, clock: Callable[[], datetime]) -> TwilioAdapter:
    """The WhatsApp and SMS webhooks on `app` and their senders."""
    config = handler_config(running.settings, clock=clock, on_enqueued=running.wake_outbox_from_store)
    twilio = register_twilio(app, running.engine, config, running.settings, wake_outbox=running.wake_outbox)
    running.senders.update(twilio.senders)
    running.cleanups.append(twilio.close)
    log.info("twilio adapter started (%s)", ", ".join(sorted(twilio.senders)) or "no senders")
    return twilio


def start_outbox(running: Running, clock: Callable[[], datetime], single_process: bool) -> None:
    """The outbox dispatcher; `single_process`: every role runs here, so rows left "sending" are
    this process's own."""
    settings = running.settings
    running.outbox = OutboxDispatcher(
        running.engine,
        running.senders,
        settings,
        clock=clock,
        single_process=single_process,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        drain=settings.outbox_drain_seconds,
    )
    running.run_task(running.outbox.run(running.stop_event), OUTBOX_TASK)


def start_scheduler(running: Running, clock: Callable[[], datetime]) -> None:
    settings = running.settings
    scheduling = run_scheduler(
        running.engine,
        settings,
        running.stop_event,
        on_derived=running.wake_outbox,
        clock=clock,
        standby_poll=settings.scheduler_standby_poll_seconds,
        heartbeat=settings.scheduler_heartbeat_seconds,
    )
    running.run_task(scheduling, "scheduler")


async def listen(running: Running, app: web.Application) -> None:
    """Serve `app` on HTTP_HOST:HTTP_PORT; a port another process holds stops what was started and
    start-up, with one line."""
    settings = running.settings
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await running.stop()
        raise SettingsError(
            f"ustaz: cannot listen on {settings.http_host}:{settings.http_port} ({error.strerror}); "
            "give each process its own HTTP_PORT (docs/deploy.md)"
        ) from None
    port = runner.addresses[0][1] if runner.addresses else settings.http_port
    running.web_url = f"http://{settings.http_host}:{port}"
    running.cleanups.insert(0, runner.cleanup)


async def serve_web(running: Running, app: web.Application, twilio: TwilioAdapter | None) -> None:
    """Listen, then tell Telegram and Twilio where: the address is known only now (port 0 picks one)."""
    settings = running.settings
    await listen(running, app)
    if running.bot is not None and settings.telegram_webhook_url:
        await running.bot.set_webhook(
            settings.telegram_webhook_url.rstrip("/") + TELEGRAM_WEBHOOK_PATH,
            secret_token=settings.telegram_webhook_secret or None,
            drop_pending_updates=False,
        )
    if twilio is not None and not settings.public_base_url:
        twilio.set_public_url(running.web_url)  # no proxy: Twilio calls this address directly


async def serve(
    settings: Settings,
    announce: Callable[[Running], None] | None = None,
    roles: Collection[str] = ROLES,
    additions: Additions = Additions(),
) -> None:
    """Run until SIGTERM or SIGINT."""
    running = await start(settings, roles, additions=additions)
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
    log.info(
        "Ustaz is running (%s) at %s: /healthz, /readyz, /metrics",
        ", ".join(running.roles),
        running.web_url,
    )
