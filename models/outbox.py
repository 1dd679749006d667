"""The outbox: every message to a person is a row here, written with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class Broadcast(SQLModel, table=True):
    """A class teacher's announcement (`class_id`), or a tutor's post to their group (`group_id` only)."""

    id: int | None = Field(default=None, primary_key=True)
    class_id: int | None = Field(default=None, foreign_key="class_.id", index=True)
    author_id: int = Field(foreign_key="person.id")
    audience: str = Field(max_length=40)  # one or two `Audience` values, comma-separated
    group_id: int | None = Field(default=None, foreign_key="group_.id")
    text: str = Field(max_length=4000)
    # The language `text` is written in, and the versions in other languages the teacher added.
    language: str | None = Field(default=None, max_length=2)
    translations: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    attachment_path: str | None = Field(default=None, max_length=300)
    urgent: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    send_at: datetime | None = None  # scheduled: its outbox rows are due then
    cancelled_at: datetime | None = None  # a scheduled one called off before it went


class Notification(SQLModel, table=True):
    """One message to one person (or one group chat). `key` + `params` are rendered in the
    recipient's language at send time; `idempotency_key` collapses re-derived reminders."""

    # The claim's order (due_at, id) inside one status, so a claim reads the rows it takes and no more.
    # The delivery page's read: one person's messages of a period, by status and channel, from the
    # index alone.
    __table_args__ = (
        Index("ix_notification_due", "status", "due_at", "id"),
        Index("ix_notification_person_at", "person_id", "created_at", "status", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # The pupil this message concerns (a reminder to a pupil, a grade to a guardian): withdrawn
    # consent for that pupil cancels it.
    about_pupil_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    group_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(max_length=40)
    key: str = Field(max_length=80)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    media_path: str | None = Field(default=None, max_length=300)
    urgent: bool = False
    status: str = Field(default="pending", max_length=12)
    due_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime | None = None
    attempts: int = 0
    channel: str | None = Field(default=None, max_length=10)
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id")
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)
    claimed_by: str | None = Field(default=None, max_length=60)
    claimed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=300)


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True)
    channel: str = Field(max_length=10)
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id")
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=12)
    error: str | None = Field(default=None, max_length=300)
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    provider_status: str | None = Field(default=None, max_length=20)


class SendBudget(SQLModel, table=True):
    """The shared send budget on PostgreSQL: for each bot or sender number (key: the channel) and
    each chat (key: channel and address), the earliest moment, in the database's epoch seconds, at
    which its next send may go. Every dispatcher process takes its slots here (`outbox.budget`)."""

    __tablename__ = "send_budget"

    key: str = Field(primary_key=True, max_length=120)
    next_at: float = 0.0
