"""What a group's own tutor hears when they try to act (mark attendance, grade, set homework) on a
day a substitute has the group: who has it and until when; they can still read."""

from __future__ import annotations

from datetime import date

from handlers.context import Turn
from handlers.groups import substitute_of
from handlers.refusals import not_allowed
from handlers.types import Reply
from locales import T
from models.people import Person
from models.school import TutoringGroup


def refusal(turn: Turn, group: TutoringGroup | None, day: date | None = None) -> list[Reply]:
    """The substitute's name and dates for the group's own tutor; the usual refusal for anyone else."""
    if group is None or turn.person is None or group.tutor_id != turn.person.id:
        return not_allowed()
    found = substitute_of(turn, group, day)
    substitute = turn.session.get(Person, found.substitute_id) if found is not None else None
    if found is None or substitute is None:
        return not_allowed()
    return [
        Reply(
            T(
                "substitute.read_only",
                group=group.code,
                person=substitute.full_name,
                first=found.starts.strftime("%d.%m"),
                last=found.ends.strftime("%d.%m"),
            )
        )
    ]
