"""Conversation state in the store, keyed by person once known (so a flow can move between
messengers), by channel identity before that."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select

from handlers.context import Turn
from models.journal import Conversation
from models.rows import new_row

# A question left unanswered this long no longer takes the next message as its answer.
FLOW_TIMEOUT = timedelta(hours=6)

_BY_PERSON = select(Conversation).where(Conversation.person_id == bindparam("owner"))
_BY_IDENTITY = select(Conversation).where(Conversation.identity_id == bindparam("owner"))


def load(turn: Turn) -> Conversation:
    """The turn's conversation state; a new one is stored by `keep` at the end of the turn, if it
    holds anything."""
    owner = ("person", turn.person.id) if turn.person is not None else ("identity", turn.identity.id)
    state = turn.states.get(owner)
    if state is not None:
        return state
    if turn.person is not None:
        state = turn.session.exec(_BY_PERSON, params={"owner": turn.person.id}).first()
    elif turn.identity_is_new:
        state = None  # an identity made in this turn has had no conversation yet
    else:
        state = turn.session.exec(_BY_IDENTITY, params={"owner": turn.identity.id}).first()
    if state is None:
        state = new_row(
            Conversation,
            person_id=turn.person.id if turn.person else None,
            identity_id=None if turn.person else turn.identity.id,
            data={},
            updated_at=turn.now,
        )
    turn.states[owner] = state
    return state


def keep(turn: Turn, state: Conversation) -> None:
    """Store a state new in this turn unless it is empty: nothing asked, nothing under way."""
    if state.id is not None or (not state.flow and state.data in ({}, {"offered": []})):
        return
    if state.person_id is None:
        state.identity_id = turn.identity_id()
    turn.session.add(state)


def enter(turn: Turn, flow: str, step: str, **data: Any) -> None:
    state = load(turn)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), turn.now


def clear(turn: Turn) -> None:
    enter(turn, "", "")


def is_stale(turn: Turn, updated_at: datetime) -> bool:
    """Whether a flow last moved at `updated_at` has waited past `FLOW_TIMEOUT`."""
    return turn.now - updated_at > FLOW_TIMEOUT
