"""What a handler knows about the turn it is answering: who wrote, their roles, the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, select

from handlers.types import Inbound
from locales import LANGUAGES
from models.clock import utcnow
from models.enums import Role
from models.journal import Conversation
from models.people import ChannelIdentity, Membership, Person

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 all year since March 2024


@dataclass(frozen=True)
class Config:
    """The parts of the settings handlers use; built once by the process."""

    invite_ttl: timedelta = timedelta(days=30)
    default_locale: str = "kk"
    bot_username: str = ""
    # Homework photos: limits checked before decoding, and where our own copies are kept.
    max_photo_bytes: int = 20 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    media_dir: Path = Path("data/media")
    # Photos sent one by one within this window belong to the same submission.
    album_window: timedelta = timedelta(minutes=3)
    time_zone: ZoneInfo = ALMATY
    # What "now" is for a turn: the wall clock, or the sandbox's clock that a visitor moves forward.
    clock: Callable[[], datetime] = utcnow
    # Called where the turn ran (the event loop, or a turn thread on PostgreSQL) after a turn that
    # wrote outbox rows has committed: wakes the dispatcher (a turn that only answers its writer
    # leaves the dispatcher asleep).
    on_enqueued: Callable[[], None] = lambda: None


@dataclass
class Turn:
    session: Session
    inbound: Inbound
    identity: ChannelIdentity
    config: Config
    person: Person | None = None
    roles: set[str] = field(default_factory=set)
    now: datetime = field(default_factory=utcnow)
    identity_is_new: bool = False  # first heard from in this turn: not stored unless it must be
    # Conversation states read during this turn, by owner ("person"/"identity", id): a turn's
    # handlers look at the state several times, and it is one row in one transaction.
    states: dict[tuple[str, int | None], Conversation] = field(default_factory=dict)
    # The person's tutoring groups, once read (several handlers of a turn ask).
    group_ids: list[int] | None = None

    @property
    def locale(self) -> str:
        """The person's language; for a stranger, the language their app says it uses (Telegram's
        `language_code`, a hint until they choose), else the default."""
        if self.person is not None:
            return self.person.locale
        hint = self.inbound.locale_hint or ""
        return hint if hint in LANGUAGES else self.config.default_locale

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def identity_id(self) -> int:
        """The chat identity's id, storing the identity first if this turn is its first.

        Someone unknown who only says hello is answered and leaves no row behind; the identity is
        kept once something refers to it: joining, STOP, a wrong invite code (counted against
        guessing), a conversation under way.
        """
        if self.identity.id is None:
            self.session.add(self.identity)
            self.session.flush()
        assert self.identity.id is not None
        return self.identity.id


_ROLES_OF = select(Membership.role).where(Membership.person_id == bindparam("person"))


def roles_of(session: Session, person_id: int) -> set[str]:
    return set(session.exec(_ROLES_OF, params={"person": person_id}).all())
