"""The sandbox: what `make run` starts when no tokens are configured.

Both emulators on loopback, the demo school imported once into the SQLite store, and the real
process (`bots.app`) talking to the emulators exactly as it would talk to Telegram and Twilio. A
restart goes on where the last run stopped — chats, clock, store (`sandbox.keeping`) — unless run
with `--fresh`, which starts clean.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlmodel import Session, col, func, select

from bots.app import Additions, Running, serve
from bots.whatsapp.webhook import SMS_PATH, WHATSAPP_PATH
from models.clock import utcnow
from models.enums import Role
from models.migrate import upgrade
from models.people import Invite, Membership, Person
from models.school import SchoolClass
from models.store import make_engine, session_scope
from roster import import_roster
from sandbox import page
from sandbox.clock import OffsetClock
from sandbox.keeping import CLOCK, CannotStartClean, Keeper, folder_of, forget, stop_keeping
from sandbox.page.state import SandboxLink
from sandbox.telegram_emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from scheduler.coordinator import set_postal_schedule
from settings import Settings

log = logging.getLogger("ustaz.sandbox")

__all__ = ["CannotStartClean", "run_sandbox"]

SAMPLE_ROSTER = Path(__file__).resolve().parent / "sample_roster.xlsx"
SANDBOX_TOKEN = "700000001:SandboxTokenForTheDemoSchool0000000"
BOT_USERNAME = "ustaz_demo_bot"


@dataclass
class Sandbox:
    settings: Settings
    telegram: TelegramEmulator
    twilio: TwilioEmulator
    keeper: Keeper
    kept: bool  # the emulators went on from the last run's world
    keeping: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self.keeping is not None:
            await stop_keeping(self.keeping, self.keeper)
        await self.telegram.stop()
        await self.twilio.stop()


async def start_sandbox(settings: Settings, clock: OffsetClock | None = None) -> Sandbox:
    """Start the emulators (with the last run's world, if one was kept) and return settings that
    point the system at them. Twilio's emulator keeps `clock`'s time: a WhatsApp window closes when
    the visitor moves the sandbox a day on, as it would."""
    telegram = TelegramEmulator(SANDBOX_TOKEN, bot_username=BOT_USERNAME)
    twilio = TwilioEmulator(clock=clock)
    keeper = Keeper(folder_of(settings), telegram, twilio)
    kept = keeper.restore()
    telegram_url = await telegram.start(settings.http_host, 0)
    twilio_url = await twilio.start(settings.http_host, 0)
    live = settings.model_copy(
        update={
            "telegram_bot_token": SANDBOX_TOKEN,
            "telegram_api_url": telegram_url,
            "twilio_account_sid": twilio.account_sid,
            "twilio_auth_token": twilio.auth_token,
            "twilio_api_url": twilio_url,
            "twilio_whatsapp_from": "whatsapp:" + twilio.senders["whatsapp"][0],
            "twilio_sms_from": twilio.senders["sms"][0],
        }
    )
    sandbox = Sandbox(settings=live, telegram=telegram, twilio=twilio, keeper=keeper, kept=kept)
    sandbox.keeping = asyncio.get_running_loop().create_task(keeper.keep())
    return sandbox


def seed_demo_school(settings: Settings) -> int:
    """Import the sample school into an empty store; returns how many people it holds."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            people = session.exec(select(func.count()).select_from(Person)).one()
        if people == 0:
            report = import_roster(
                engine, SAMPLE_ROSTER, dry_run=False, invite_ttl=timedelta(days=settings.invite_ttl_days)
            )
            if not report.ok:
                raise RuntimeError("the sample roster did not import")
            with session_scope(engine) as session:
                schedule_demo_rounds(session, utcnow().astimezone(settings.zone).date())
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Person)).one())
    finally:
        engine.dispose()


def schedule_demo_rounds(session: Session, today: date) -> None:
    """A Kazpost collection every 14 days for each class of the demo school, the first in three
    days, its class teacher responsible: the sandbox clock shows a round open two days before."""
    led = session.exec(
        select(SchoolClass.name, Person.external_id)
        .join(Membership, col(Membership.class_id) == col(SchoolClass.id))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(Membership.role == Role.CLASS_TEACHER.value)
    ).all()
    for class_name, teacher in led:
        set_postal_schedule(
            session,
            class_name=class_name,
            teacher=teacher,
            anchor=today + timedelta(days=3),
            interval_days=14,
        )


@dataclass(frozen=True)
class OpenInvite:
    code: str
    name: str
    role: str


def open_invites(settings: Settings) -> list[OpenInvite]:
    """One unused invite code of the demo school per role (coordinator first), to try joining with
    as that person: whoever it is, and as what."""
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Invite.code, Person.full_name, Membership.role)
                .join(Person, col(Person.id) == col(Invite.person_id))
                .join(Membership, col(Membership.person_id) == col(Person.id))
                .where(col(Invite.used_at).is_(None))
                .order_by(col(Invite.id))
            ).all()
    finally:
        engine.dispose()
    first: dict[str, OpenInvite] = {}
    for code, name, role in rows:
        first.setdefault(role, OpenInvite(code, name, role))
    return [first[role.value] for role in INVITE_ORDER if role.value in first]


INVITE_ORDER = (Role.COORDINATOR, Role.CLASS_TEACHER, Role.TUTOR, Role.ASSISTANT, Role.GUARDIAN, Role.PUPIL)


def announce(sandbox: Sandbox, people: int, invites: list[OpenInvite], running: Running) -> None:
    # The Twilio emulator calls the process's webhooks, whose address is known once it listens.
    sandbox.twilio.set_webhook("whatsapp", running.web_url + WHATSAPP_PATH)
    sandbox.twilio.set_webhook("sms", running.web_url + SMS_PATH)
    settings = sandbox.settings
    print("Ustaz sandbox is running: no tokens configured, so it uses local emulators.", flush=True)
    print(f"  web:               {running.web_url}/", flush=True)
    print(f"  Telegram emulator: {settings.telegram_api_url}", flush=True)
    print(f"  Twilio emulator:   {settings.twilio_api_url}", flush=True)
    print(
        f"  write on WhatsApp: POST {settings.twilio_api_url}/_emulator/inbound "
        '{"from": "+7…", "body": "…"} (a roster parent\'s number is known at once)',
        flush=True,
    )
    print(f"  demo school:       {people} people in {settings.db_url}", flush=True)
    kept = "went on from the last run's chats and clock" if sandbox.kept else "a clean start"
    print(
        f"  emulators:         {kept} ({folder_of(settings)}; `ustaz run --fresh` starts clean)", flush=True
    )
    for invite in invites:
        link = f"https://t.me/{BOT_USERNAME}?start={invite.code}"
        print(f"  invite: {link}  {invite.name} ({invite.role.replace('_', ' ')})", flush=True)


async def run_sandbox(settings: Settings, *, fresh: bool = False) -> None:
    """The emulators, the demo school, and the process with the sandbox page on a movable clock;
    `fresh` forgets what earlier runs kept first."""
    if fresh:
        for path in forget(settings):
            print(f"  removed {path}", flush=True)
    clock = OffsetClock(folder_of(settings) / CLOCK)
    sandbox = await start_sandbox(settings, clock)
    try:
        people = await asyncio.to_thread(seed_demo_school, sandbox.settings)
        invites = await asyncio.to_thread(open_invites, sandbox.settings)
        link = SandboxLink(
            emulator_url=sandbox.settings.telegram_api_url,
            clock=clock,
            twilio_url=sandbox.settings.twilio_api_url,
        )
        await serve(
            sandbox.settings,
            announce=partial(announce, sandbox, people, invites),
            additions=Additions(pages=partial(page.mount, link), clock=clock),
        )
    finally:
        await sandbox.stop()
