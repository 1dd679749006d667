"""The sandbox page (`/`): the sample school's people by role; choosing one opens a phone-like chat
with the real bot, as that person, through the emulators' control APIs (Telegram, and WhatsApp and
SMS for whoever has a phone in the roster); an SMS inbox shows every SMS the bot sent or received
(the dashboard's sign-in code among them). Each class gets a group chat in the Telegram emulator, so
its messages can be watched. The clock control moves the scheduler's and the outbox's time forward and
derives what the skipped span holds.

The product never imports this: the sandbox hands `mount` to the process (`bots.app.Additions`),
which calls it once its own pages are in place.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from sandbox.page import phone_chats, routes
from sandbox.page.state import PAGE, SandboxLink, SandboxPage

STATIC_DIR = Path(__file__).resolve().parent / "static"


def mount(link: SandboxLink, app: web.Application) -> None:
    app[PAGE] = SandboxPage.linked(link)
    app.on_cleanup.append(close)
    app.router.add_static("/sandbox/static/", STATIC_DIR, name="sandbox-static")
    app.add_routes(routes.routes)
    app.add_routes(phone_chats.routes)


async def close(app: web.Application) -> None:
    await app[PAGE].session.close()
