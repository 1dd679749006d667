"""What the sandbox page keeps between requests, on the web application under `PAGE`: the clients of
the emulators, the clock, and which emulator users and class chats it has made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.clock import OffsetClock
from sandbox.page.clients import ControlSession, TelegramControl, TwilioControl


@dataclass(frozen=True)
class SandboxLink:
    """Where the Telegram and Twilio emulators listen (their control APIs are under `/_emulator`)
    and the clock the scheduler and outbox run on."""

    emulator_url: str
    clock: OffsetClock
    twilio_url: str = ""  # the Twilio emulator, for WhatsApp identities


@dataclass
class SandboxPage:
    clock: OffsetClock
    session: ControlSession
    telegram: TelegramControl
    twilio: TwilioControl | None  # None: no Twilio emulator, so no WhatsApp pane
    users: set[int] = field(default_factory=set)  # emulator users made so far
    groups: dict[int, str] = field(default_factory=dict)  # class chats made so far: id → title

    @classmethod
    def linked(cls, link: SandboxLink) -> SandboxPage:
        session = ControlSession()
        twilio = TwilioControl(link.twilio_url, session) if link.twilio_url else None
        return cls(link.clock, session, TelegramControl(link.emulator_url, session), twilio)

    def user_of(self, body: Any) -> int:
        """The emulator user a request acts as; only a person opened on the page may act."""
        user_id = int(body["user_id"])
        if user_id not in self.users:
            raise web.HTTPBadRequest(text="open the person first")
        return user_id


PAGE = web.AppKey("sandbox_page", SandboxPage)
