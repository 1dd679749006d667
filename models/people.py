"""People, their roles, families, channels, invites and consent."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=60, unique=True)
    full_name: str = Field(max_length=200)
    locale: str = Field(default="kk", max_length=2)
    locale_chosen: bool = False
    phone: str | None = Field(default=None, max_length=20, index=True)
    # Sensitive (Digital Tutor eligibility): never rendered in a group chat or a broadcast.
    low_income: bool = False
    by_post: bool = False
    postal_address: str = Field(default="", max_length=300)
    quiet_start: time | None = None
    quiet_end: time | None = None
    # A parent's choice between per-event messages and the weekly digest (`models.enums.FamilyNews`).
    family_news: str = Field(default="both", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "role", "school_id", "class_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=20)
    school_id: int = Field(foreign_key="school.id", index=True)
    class_id: int | None = Field(default=None, foreign_key="class_.id", index=True)


class Guardianship(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("guardian_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    guardian_id: int = Field(foreign_key="person.id", index=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)


class ChannelIdentity(SQLModel, table=True):
    """How to reach a person: a Telegram user id, a WhatsApp or SMS number (E.164), or a postal address.

    `priority` orders a person's channels (lowest first); the outbox falls back along it.
    """

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    channel: str = Field(max_length=10)
    address: str = Field(max_length=300)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    priority: int = 0
    blocked_at: datetime | None = None
    opted_out_at: datetime | None = None
    last_inbound_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    """A one-time code that binds a chat identity to a roster person. Spent on first use; expires."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_identity_id: int | None = Field(default=None, foreign_key="channel_identity.id")
    # A code reissued by the class teacher or the coordinator: the old one is refused from then on.
    revoked_at: datetime | None = None


class Consent(SQLModel, table=True):
    """A guardian's decision for one pupil, with the version of the text they were shown."""

    id: int | None = Field(default=None, primary_key=True)
    guardian_id: int = Field(foreign_key="person.id", index=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    scope: str = Field(default="programme", max_length=40)
    text_version: str = Field(max_length=20)
    given: bool
    decided_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    channel: str = Field(max_length=10)
    # A signed paper application (channel "paper"): who recorded it and the photo of the paper, ours.
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    document_path: str | None = Field(default=None, max_length=300)
