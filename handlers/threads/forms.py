"""The forms a family may leave half done, each with the question that asks for its answer again:
a message written meanwhile waits while the family chooses to go back or send it (`write.half_done`)."""

from __future__ import annotations

from handlers import conversation, hand_in
from handlers.context import Turn
from handlers.problems import report
from handlers.routes import Handler

ASK_AGAIN: dict[str, Handler] = {
    hand_in.FLOW_PICK: hand_in.ask_again,  # photos waiting for "which homework?"
    report.FLOW: report.ask_again,  # a problem being reported: whose, what, which lesson
    report.FLOW_NOTE: report.ask_again,  # …and what happened, in words
}


def open_form(turn: Turn) -> Handler | None:
    """The open form's question, if a form is open and fresh."""
    state = conversation.load(turn)
    if state.flow not in ASK_AGAIN or conversation.is_stale(turn, state.updated_at):
        return None
    return ASK_AGAIN[state.flow]
