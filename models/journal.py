"""What the system remembers about its own work: audit trail, conversation state, processed inbound."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint, bindparam
from sqlmodel import Field, Session, SQLModel

from models.clock import utcnow
from models.dialects import INSERTS, dialect_of


class AuditLog(SQLModel, table=True):
    """Ids, never names or phone numbers."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Conversation(SQLModel, table=True):
    """Which step of which flow a person is in. Keyed by person once known (so a flow begun on
    Telegram can finish on WhatsApp), by channel identity before that."""

    __table_args__ = (UniqueConstraint("person_id"), UniqueConstraint("identity_id"))

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    identity_id: int | None = Field(default=None, foreign_key="channel_identity.id")
    flow: str = Field(default="", max_length=40)
    step: str = Field(default="", max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class InboundReceipt(SQLModel, table=True):
    """A processed inbound message (Telegram update id, Twilio MessageSid): a retry is ignored."""

    __tablename__ = "inbound_receipt"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    external_id: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow)


def record_receipt(session: Session, channel: str, external_id: str, at: datetime) -> bool:
    """Record a delivery as handled in this transaction; False when it was recorded before.

    One `INSERT … ON CONFLICT DO NOTHING`: a retried delivery costs no failed flush and no rollback,
    and on PostgreSQL a retry racing its first delivery waits for that transaction's outcome.
    """
    statement = _RECORD_RECEIPT[dialect_of(session)]
    # On the session's connection: the ORM adds nothing to a Core insert but its cost.
    inserted = session.connection().execute(
        statement, {"channel": channel, "external_id": external_id, "at": at}
    )
    return inserted.first() is not None


def _record_receipt(insert: Any) -> Any:
    table = InboundReceipt.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(
            channel=bindparam("channel"), external_id=bindparam("external_id"), received_at=bindparam("at")
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(table.c.id)
    )


# Built once per dialect (SQLite, PostgreSQL): every turn runs it.
_RECORD_RECEIPT = {name: _record_receipt(insert) for name, insert in INSERTS.items()}
