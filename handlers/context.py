"""What a handler knows about the turn it is answering: who wrote, their roles, the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
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
from models.store import stored_id
from settings import Settings


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Config:
    """The parts of the settings handlers use; built once by the process (`from_settings`), so every
    default is the settings' own."""

    invite_ttl: timedelta
    default_locale: str
    # Homework photos: limits checked before decoding, and where our own copies are kept.
    max_photo_bytes: int
    max_photo_pixels: int
    media_dir: Path
    time_zone: ZoneInfo
    # How long work, grades, attendance and messages are kept (RETENTION_DAYS): the consent text says it.
    retention_days: int
    # Everyone's quiet hours unless they have their own (local start, end): a message that is not
    # urgent waits them out, a confirmation says when it will go, and a family writing then is told
    # when to expect an answer.
    quiet: tuple[time, time]
    # When the weekly digest is made (`settings`: DIGEST_WEEKDAY, Monday 0; DIGEST_TIME, local).
    digest_weekday: int
    digest_time: time
    bot_username: str = ""
    # What "now" is for a turn: the wall clock, or the sandbox's clock that a visitor moves forward.
    clock: Callable[[], datetime] = utcnow
    # Called where the turn ran (the event loop, or a turn thread on PostgreSQL) after a turn that
    # wrote outbox rows has committed: wakes the dispatcher (a turn that only answers its writer
    # leaves the dispatcher asleep).
    on_enqueued: Callable[[], None] = _nothing

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        bot_username: str = "",
        clock: Callable[[], datetime] = utcnow,
        on_enqueued: Callable[[], None] = _nothing,
    ) -> Config:
        return cls(
            invite_ttl=timedelta(days=settings.invite_ttl_days),
            default_locale=settings.default_locale,
            max_photo_bytes=settings.max_photo_bytes,
            max_photo_pixels=settings.max_photo_pixels,
            media_dir=settings.media_dir,
            time_zone=settings.zone,
            retention_days=settings.retention_days,
            bot_username=bot_username,
            quiet=(settings.quiet_hours_start, settings.quiet_hours_end),
            digest_weekday=settings.digest_weekday,
            digest_time=settings.digest_time,
            clock=clock,
            on_enqueued=on_enqueued,
        )


class NotJoined(RuntimeError):
    """A handler for people who have joined was given a turn of someone unknown: the router's
    mistake, never the person's."""


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
    # When this chat identity last wrote before this turn (None: never): what the bot said since
    # is what a short answer such as "yes" answers (`handlers.consent_by_word`).
    wrote_before: datetime | None = None
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

    def person_id(self) -> int:
        """The id of the person who wrote, for handlers the router gives only to people who have joined."""
        if self.person is None or self.person.id is None:
            raise NotJoined(f"a turn from {self.identity.channel} identity {self.identity.id} has no person")
        return self.person.id

    def identity_id(self) -> int:
        """The chat identity's id, storing the identity first if this turn is its first.

        Someone unknown who only says hello is answered and leaves no row behind; the identity is
        kept once something refers to it: joining, STOP, a wrong invite code (counted against
        guessing), a conversation under way.
        """
        if self.identity.id is None:
            self.session.add(self.identity)
            self.session.flush()
        return stored_id(self.identity)


_ROLES_OF = select(Membership.role).where(Membership.person_id == bindparam("person"))


def roles_of(session: Session, person_id: int) -> set[str]:
    return set(session.connection().execute(_ROLES_OF, {"person": person_id}).scalars())
