"""The help menu: the commands this person may use, by their roles, in their language; for a pupil
or a parent also their record's views, "write to a teacher" and "report a problem" as choices
(numbered on WhatsApp and SMS, where the menu is also reached by typing its word, КӨМЕК or МӘЗІР,
«помощь» or «меню»: `handlers.words`)."""

from __future__ import annotations

from handlers import own_record, summary
from handlers.context import Turn
from handlers.problems import report
from handlers.threads import write
from handlers.types import Choice, Reply
from locales import Lines, T, Text
from models.enums import Role

# (roles that may use it — empty: everyone; the line that explains it)
COMMANDS: tuple[tuple[frozenset[Role], Text], ...] = (
    (frozenset({Role.PUPIL}), T("help.cmd.photos")),
    (frozenset({Role.PUPIL}), T("help.cmd.replace")),
    (frozenset({Role.PUPIL, Role.GUARDIAN}), T("help.cmd.write")),
    (frozenset({Role.PUPIL, Role.GUARDIAN}), T("help.cmd.problem")),
    (frozenset({Role.PUPIL}), T("help.cmd.my_homework")),
    (frozenset({Role.PUPIL, Role.GUARDIAN}), T("help.cmd.timetable")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.grades")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.child_attendance")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.child_homework")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.digest")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.consent")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.mydata")),
    (frozenset({Role.GUARDIAN}), T("help.cmd.forget")),
    (frozenset({Role.TUTOR}), T("help.cmd.homework")),
    (frozenset({Role.TUTOR}), T("help.cmd.review")),
    (frozenset({Role.TUTOR}), T("help.cmd.correct_grades")),
    (frozenset({Role.TUTOR}), T("help.cmd.share")),
    (frozenset({Role.TUTOR, Role.ASSISTANT}), T("help.cmd.attendance")),
    (frozenset({Role.TUTOR, Role.ASSISTANT}), T("help.cmd.status")),
    (frozenset({Role.TUTOR, Role.ASSISTANT}), T("help.cmd.absences")),
    (frozenset({Role.TUTOR, Role.ASSISTANT, Role.CLASS_TEACHER, Role.COORDINATOR}), T("help.cmd.threads")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.link")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.broadcast")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.report")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.scheduled")),
    (frozenset({Role.CLASS_TEACHER}), T("help.cmd.templates")),
    (frozenset({Role.CLASS_TEACHER, Role.ASSISTANT}), T("help.cmd.invite")),
    (frozenset({Role.CLASS_TEACHER, Role.COORDINATOR}), T("help.cmd.post")),
    (frozenset({Role.CLASS_TEACHER, Role.COORDINATOR}), T("help.cmd.paper")),
    (frozenset({Role.COORDINATOR}), T("help.cmd.confirm_forget")),
    (frozenset(), T("help.cmd.channels")),
    (frozenset(), T("help.cmd.language")),
)
# The menu's buttons (entries of the router's table), by the roles that see them.
BUTTONS: tuple[tuple[frozenset[Role], Choice], ...] = (
    (frozenset({Role.PUPIL, Role.GUARDIAN}), Choice(write.NEW, T("help.button.write"))),
    (frozenset({Role.PUPIL, Role.GUARDIAN}), Choice(report.START, T("help.button.problem"))),
)


def menu(turn: Turn) -> Reply:
    lines = tuple(text for roles, text in COMMANDS if not roles or turn.has_role(*roles))
    choices = own_record.menu_choices(turn)
    if turn.has_role(Role.GUARDIAN):
        choices += (Choice(summary.SHOW, T("summary.menu")),)
    choices += tuple(choice for roles, choice in BUTTONS if turn.has_role(*roles))
    return Reply(T("help.menu", commands=Lines(lines)), choices=choices)


def show(turn: Turn) -> list[Reply]:
    return [menu(turn)]
