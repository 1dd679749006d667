"""The help menu: the commands this person may use, by their roles, in their language."""

from __future__ import annotations

from handlers.context import Turn
from handlers.types import Reply
from locales import Lines, T, Text
from models.enums import Role

# (roles that may use it — empty: everyone; the line that explains it)
COMMANDS: tuple[tuple[frozenset[Role], Text], ...] = (
    (frozenset({Role.PUPIL}), T("help.cmd.photos")),
    (frozenset({Role.PUPIL}), T("help.cmd.replace")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.consent")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.mydata")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.forget")),
    (frozenset({Role.TUTOR}), T("help.cmd.homework")),
    (frozenset({Role.TUTOR}), T("help.cmd.review")),
    (frozenset({Role.TUTOR}), T("help.cmd.grades")),
    (frozenset({Role.TUTOR}), T("help.cmd.share")),
    (frozenset({Role.TUTOR, Role.ASSISTANT}), T("help.cmd.attendance")),
    (frozenset({Role.TUTOR, Role.ASSISTANT}), T("help.cmd.status")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.link")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.broadcast")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.report")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.scheduled")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.invite")),
    (frozenset({Role.CLASS_TEACHER, Role.COORDINATOR}), T("help.cmd.post")),
    (frozenset({Role.CLASS_TEACHER, Role.COORDINATOR}), T("help.cmd.paper")),
    (frozenset({Role.COORDINATOR}), T("help.cmd.confirm_forget")),
    (frozenset(), T("help.cmd.channels")),
    (frozenset(), T("help.cmd.language")),
)


def menu(turn: Turn) -> Reply:
    lines = tuple(text for roles, text in COMMANDS if not roles or turn.has_role(*roles))
    return Reply(T("help.menu", commands=Lines(lines)))
