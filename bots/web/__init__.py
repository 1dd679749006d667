"""The web pages the process serves: the dashboard and its plan page, with the templates and static
files the pages share. A caller may add pages of its own through `mount_web`'s `pages` (the sandbox
adds its page)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from sqlalchemy import Engine

from bots.web import (
    dashboard,
    delivery,
    invites,
    overview,
    paper,
    plan,
    postal_marks,
    postal_packs,
    postal_rounds,
    reports,
)
from bots.web.site import SITE, Site
from settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
Pages = Callable[[web.Application], None]


def mount_web(
    app: web.Application,
    engine: Engine,
    settings: Settings,
    wake_outbox: Callable[[], None],
    pages: Pages | None = None,
    bot_username: str = "",
) -> None:
    """Serve the dashboard and the static files on `app`, then let `pages` add routes of its own;
    every handler finds the store, the settings and the outbox's wake-up under `SITE`."""
    app[SITE] = Site(engine, settings, wake_outbox, bot_username)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    dashboard.mount(app)
    overview.mount(app)
    delivery.mount(app)
    reports.mount(app)
    plan.mount(app)
    app.add_routes(invites.routes)
    app.add_routes(paper.routes)
    app.add_routes(postal_packs.routes)
    app.add_routes(postal_rounds.routes)
    app.add_routes(postal_marks.routes)
    if pages is not None:
        pages(app)
