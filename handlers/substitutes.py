"""What a group's own tutor hears when they try to act (mark attendance, grade, set homework, decide
whether an absence is excused, correct a grade) on a day a substitute has the group: who has it and
until when, and that it is the substitute's to do; they can still read."""

from __future__ import annotations

from datetime import date

from handlers.context import Turn
from handlers.groups import substitute_of
from handlers.refusals import not_allowed
from handlers.types import Reply
from locales import T
from models.people import Person
from models.school import TutoringGroup


def refusal(
    turn: Turn, group: TutoringGroup | None, day: date | None = None, key: str = "substitute.read_only"
) -> list[Reply]:
    """The substitute's name and dates for the group's own tutor (`key` says what is the
    substitute's to do); the usual refusal for anyone else."""
    if group is None or turn.person is None or group.tutor_id != turn.person.id:
        return not_allowed()
    found = substitute_of(turn, group, day)
    substitute = turn.session.get(Person, found.substitute_id) if found is not None else None
    if found is None or substitute is None:
        return not_allowed()
    return [
        Reply(
            T(
                key,
                group=group.code,
                person=substitute.full_name,
                first=found.starts.strftime("%d.%m"),
                last=found.ends.strftime("%d.%m"),
            )
        )
    ]
