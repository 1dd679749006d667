"""Threads: what a family writes to the staff member responsible, and the answers, kept in our store.

A thread joins one family member (a pupil, or a parent about one child) and one staff member (the
group's tutor, the class teacher, the assistant, or the coordinator when the first has left) for one
reason (`topic`). Its id is the short reference people type on WhatsApp and SMS ("#12 …"). Each
message is a row, whole, with its media as our own file; `ThreadNotice` links every outbox row a
thread sent to the thread, so a Telegram reply to one of them (its message id, which the outbox keeps
on the delivery attempt) finds its way back. Contacts never enter a thread: people are named by id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from models.clock import utcnow

# The longest message kept: Telegram's own limit is 4,096 characters, an SMS a few hundred; this only
# bounds what a crafted request can make us store.
MAX_TEXT = 20_000


class Thread(SQLModel, table=True):
    __tablename__ = "thread"
    # The open list (dashboard, /threads): threads waiting for an answer, oldest first.
    __table_args__ = (Index("ix_thread_waiting", "waiting_since", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="person.id", index=True)  # the pupil or parent who wrote
    pupil_id: int = Field(foreign_key="person.id", index=True)  # whom it is about
    staff_id: int = Field(foreign_key="person.id", index=True)  # who answers now
    topic: str = Field(max_length=20)  # `models.enums.Topic`
    group_id: int | None = Field(default=None, foreign_key="group_.id")
    class_id: int | None = Field(default=None, foreign_key="class_.id")
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    opened_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)
    # Since when the family's first unanswered message waits; None once answered (or set aside).
    waiting_since: datetime | None = None


class ThreadMessage(SQLModel, table=True):
    """One message: text (whole), a stored photo or voice note, or a reported problem. A family's
    message waits with no thread while the family is asked whom it is for."""

    __tablename__ = "thread_message"
    __table_args__ = (Index("ix_thread_message_author_at", "author_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int | None = Field(default=None, foreign_key="thread.id", index=True)
    author_id: int = Field(foreign_key="person.id")
    from_family: bool = True
    kind: str = Field(default="text", max_length=20)  # text, photo, voice, file, problem
    text: str = Field(default="", sa_type=Text)
    media_path: str | None = Field(default=None, max_length=300)
    # Over the hourly limit: kept in the thread, not sent on its own.
    held: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ThreadNotice(SQLModel, table=True):
    """An outbox row that carried a thread's message (or told of it): a reply to it is a reply in
    the thread."""

    __tablename__ = "thread_notice"

    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True)
