"""A family's messages that wait, stored, for the answer to "whom is it for?" (or for the choice to
leave a half-done form): their ids in the conversation state, under the whom question's flow."""

from __future__ import annotations

from handlers import conversation
from handlers.context import Turn

FLOW_WHOM = "thr_whom"
# The key under which an open form (another flow) keeps the messages written while it was open.
BESIDE_FORM = "thr_drafts"


def waiting(turn: Turn) -> list[int]:
    """The ids of the messages waiting for "whom?", if that question is open and fresh."""
    state = conversation.load(turn)
    if state.flow != FLOW_WHOM or conversation.is_stale(turn, state.updated_at):
        return []
    return [int(i) for i in state.data.get("drafts") or []]


def beside_form(turn: Turn) -> list[int]:
    return [int(i) for i in conversation.load(turn).data.get(BESIDE_FORM) or []]


def keep_beside_form(turn: Turn, ids: list[int]) -> None:
    """Remember the messages next to the open form's own state, which stays as it is."""
    state = conversation.load(turn)
    state.data = {**state.data, BESIDE_FORM: [*beside_form(turn), *ids]}
