"""Conversation state in the store, keyed by person once known (so a flow can move between
messengers), by channel identity before that."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from handlers.context import Turn
from models.journal import Conversation


def load(turn: Turn) -> Conversation:
    owner = ("person", turn.person.id) if turn.person is not None else ("identity", turn.identity.id)
    state = turn.states.get(owner)
    if state is not None:
        return state
    query = select(Conversation)
    if turn.person is not None:
        query = query.where(Conversation.person_id == turn.person.id)
    else:
        query = query.where(Conversation.identity_id == turn.identity.id)
    state = turn.session.exec(query).first()
    if state is None:
        state = Conversation(
            person_id=turn.person.id if turn.person else None,
            identity_id=None if turn.person else turn.identity.id,
        )
        turn.session.add(state)
    turn.states[owner] = state
    return state


def enter(turn: Turn, flow: str, step: str, **data: Any) -> None:
    state = load(turn)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), turn.now


def clear(turn: Turn) -> None:
    enter(turn, "", "")
