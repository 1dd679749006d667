"""The web pages served by the process: the sandbox page (only in sandbox mode) and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy import Engine

from bots.web.clock import OffsetClock
from settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class SandboxLink:
    """What the sandbox page needs from the sandbox runtime: where the Telegram and Twilio emulators
    listen (their control APIs are under `/_emulator`) and the clock the scheduler and outbox run on."""

    emulator_url: str
    clock: OffsetClock
    twilio_url: str = ""  # the Twilio emulator, for WhatsApp identities


def mount_web(
    app: web.Application,
    engine: Engine,
    settings: Settings,
    wake_outbox: Callable[[], None],
    sandbox: SandboxLink | None,
) -> None:
    from bots.web import dashboard, sandbox_page

    app.router.add_static("/static/", STATIC_DIR, name="static")
    dashboard.mount(app, engine, settings, wake_outbox)
    if sandbox is not None:
        sandbox_page.mount(app, engine, settings, wake_outbox, sandbox)
