"""What every page's handlers need from the process, kept on the web application under `SITE`, so
the handlers are plain module-level functions that read it from the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine

from settings import Settings


@dataclass(frozen=True)
class Site:
    engine: Engine
    settings: Settings
    wake_outbox: Callable[[], None]  # after a page wrote outbox rows (a sign-in code, a roster import)
    bot_username: str = ""  # the Telegram bot's, for deep links on printed invitations ("" without Telegram)


SITE = web.AppKey("site", Site)
