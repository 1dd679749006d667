"""A way out of every form: `/cancel`, or a cancel word typed alone, leaves the form under way, and a
command typed in the middle of a form asks first whether to leave it.

A form is a conversation that collects answers step by step in the conversation state (setting
homework, grading, an announcement, a paper application, …); `FORMS` names each, so the person
hears which one they leave. A state that only waits (the class chat's link code, the pages of an
album or of a Kazpost scan still coming) is not a form: commands pass it by. Leaving keeps nothing
of the form: nothing it collected was stored yet.

The question "leave the form?" keeps the form as it was: "stay" offers its last question's buttons
again (so a typed "7" still means the seventh), "leave" clears it and runs the command that was
typed (the router does that: `handlers.router`).

The cancel words are the one table of words typed instead of buttons (`handlers.words.CANCEL`: the
button's word of each language, `locales/GLOSSARY.md`, and the nouns people type). «Бас тарту» is not
one of them: it is the word for refusing consent, and a parent who types it means that.
"""

from __future__ import annotations

from typing import Any

from handlers import (
    broadcast,
    choices,
    conversation,
    corrections,
    group_post,
    hand_in,
    paper,
    review,
    set_homework,
)
from handlers.context import Turn
from handlers.types import Choice, Reply
from locales import T, Text

PREFIX = "out:"
LEAVE = f"{PREFIX}leave"
STAY = f"{PREFIX}stay"
COMMAND = "/cancel"
MAX_COMMAND = 300

# Each form's conversation and how the question names it.
FORMS: dict[str, Text] = {
    set_homework.FLOW: T("leaving.form.homework"),
    broadcast.FLOW_SEND: T("leaving.form.broadcast"),
    review.FLOW_GRADE: T("leaving.form.grade"),
    review.FLOW_REDO: T("leaving.form.redo"),
    corrections.FLOW: T("leaving.form.correction"),
    paper.FLOW: T("leaving.form.paper"),
    group_post.FLOW: T("leaving.form.post"),
    hand_in.FLOW_PICK: T("leaving.form.pick"),
}


def open_form(turn: Turn) -> str:
    """The form under way, or "" (none, not a form, or left unanswered past the flows' timeout)."""
    state = conversation.load(turn)
    if state.flow not in FORMS or conversation.is_stale(turn, state.updated_at):
        return ""
    return state.flow


def cancel(turn: Turn) -> list[Reply]:
    """/cancel or a cancel word: the form is left; with none under way, the person hears so."""
    flow = open_form(turn)
    if not flow:
        return [Reply(T("leaving.nothing"))]
    conversation.clear(turn)
    return [Reply(T("leaving.left", form=FORMS[flow]))]


def ask(turn: Turn) -> list[Reply] | None:
    """A command in the middle of a form: leave it first? None when the form has gone stale (the
    command then runs as if no form were open)."""
    flow = open_form(turn)
    if not flow:
        return None
    state = conversation.load(turn)
    pending = {"command": turn.inbound.text.strip()[:MAX_COMMAND], "offered": state.data.get("offered") or []}
    state.data = {**state.data, "leaving": pending}
    return [
        Reply(
            T("leaving.ask", form=FORMS[flow]),
            choices=(Choice(LEAVE, T("leaving.choice.leave")), Choice(STAY, T("leaving.choice.stay"))),
        )
    ]


def answer(turn: Turn) -> tuple[list[Reply], str]:
    """The answer to "leave the form?": the replies, and the command to run next ("" for none)."""
    state = conversation.load(turn)
    pending: dict[str, Any] | None = state.data.get("leaving") if state.flow in FORMS else None
    if pending is None:
        return [Reply(T("leaving.nothing"))], ""
    if turn.inbound.choice == LEAVE:
        name = FORMS[state.flow]
        conversation.clear(turn)
        return [Reply(T("leaving.left", form=name))], str(pending.get("command") or "")
    data = {key: value for key, value in state.data.items() if key != "leaving"}
    state.data, state.updated_at = data, turn.now
    again = tuple(choices.recall(pending.get("offered")))
    return [Reply(T("leaving.stay", form=FORMS[state.flow]), choices=again)], ""
