"""The tutoring groups a person works with: as tutor, as assistant, as pupil."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, or_, select

from handlers.context import Turn
from models.school import GroupMember, TutoringGroup

# A pupil's photo asks on every page: built once, with the pupil bound per turn.
_GROUPS_OF_PUPIL = select(GroupMember.group_id).where(GroupMember.pupil_id == bindparam("pupil"))


def tutor_groups(turn: Turn) -> list[TutoringGroup]:
    """Groups this person tutors, by code."""
    if turn.person is None or turn.person.id is None:
        return []
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(TutoringGroup.tutor_id == turn.person.id)
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def staff_groups(turn: Turn) -> list[TutoringGroup]:
    """Groups this person assists or tutors, by code."""
    if turn.person is None or turn.person.id is None:
        return []
    me = turn.person.id
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(or_(col(TutoringGroup.assistant_id) == me, col(TutoringGroup.tutor_id) == me))
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def pupil_group_ids(turn: Turn) -> list[int]:
    """Ids of the groups this person is a pupil of, read once a turn."""
    if turn.person is None or turn.person.id is None:
        return []
    if turn.group_ids is None:
        turn.group_ids = list(turn.session.exec(_GROUPS_OF_PUPIL, params={"pupil": turn.person.id}).all())
    return turn.group_ids
