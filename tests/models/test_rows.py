"""`models.rows.new_row` makes the same row as the model's constructor, for the store and in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.journal import Conversation
from models.people import ChannelIdentity
from models.rows import new_row

AT = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)


def test_a_new_row_equals_the_constructed_one() -> None:
    values = {"channel": "telegram", "address": "42", "chat_id": 42, "last_inbound_at": AT}
    made, constructed = new_row(ChannelIdentity, **values), ChannelIdentity(**values)
    assert made.model_dump(exclude={"created_at"}) == constructed.model_dump(exclude={"created_at"})
    assert made.created_at is not None and made.created_at.tzinfo is not None  # its default factory ran
    assert made.model_fields_set == constructed.model_fields_set


def test_mutable_defaults_are_not_shared() -> None:
    first, second = new_row(Conversation), new_row(Conversation)
    first.data["offered"] = ["x"]
    assert second.data == {}


def test_a_new_row_is_stored_as_given(engine: Engine) -> None:
    with Session(engine) as session:
        identity = new_row(ChannelIdentity, channel="telegram", address="7", chat_id=7, created_at=AT)
        session.add(identity)
        session.flush()
        state = new_row(Conversation, identity_id=identity.id, updated_at=AT)
        state.flow, state.data = "joining", {"offered": ["a"]}
        session.add(state)
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Conversation)).one()
        assert (stored.flow, stored.step, stored.data, stored.identity_id) == (
            "joining",
            "",
            {"offered": ["a"]},
            1,
        )
        assert session.exec(select(ChannelIdentity)).one().priority == 0
