"""The school calendar in conversations: a deadline typed for a Sunday or a holiday moves to the next
working day of the group's school (at the same time of day), and what shows it says so."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from handlers.context import Turn
from locales import Text
from models.school import TutoringGroup
from schoolyear import Shift, calendar_for, group_grades, moved_date

MOVED_FROM = "due_from"  # the conversation's note of the day a deadline was typed for


def working_deadline(turn: Turn, group: TutoringGroup, due_local: datetime) -> tuple[datetime, Shift | None]:
    """The deadline as typed (naive, school time), moved to the next working day when it is not one."""
    shift = _shift(turn, group, due_local.date())
    if shift is None:
        return due_local, None
    return datetime.combine(shift.moved_to, due_local.time()), shift


def remember(data: dict[str, Any], shift: Shift | None) -> None:
    if shift is None:
        data.pop(MOVED_FROM, None)
    else:
        data[MOVED_FROM] = shift.original.isoformat()


def shown_deadline(turn: Turn, group: TutoringGroup, data: dict[str, Any], shown: str) -> Text | str:
    """The deadline as a message shows it, with the note when the conversation moved it."""
    typed = data.get(MOVED_FROM)
    shift = _shift(turn, group, date.fromisoformat(typed)) if typed else None
    return moved_date(shown, shift)


def _shift(turn: Turn, group: TutoringGroup, day: date) -> Shift | None:
    calendar = calendar_for(turn.session, group.school_id)
    return calendar.shift(day, group_grades(turn.session, group.id or 0))
