"""The tutoring groups a person works with: as tutor (their own, and those they substitute for
today), as assistant, as pupil; and who acts as a group's tutor on a day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam
from sqlmodel import col, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from handlers.context import Turn
from models.clock import to_local
from models.school import GroupMember, TutoringGroup
from models.substitutes import Substitution, acting_tutor, substitution_on

# A pupil's photo asks on every page: built once, with the pupil bound per turn.
_GROUPS_OF_PUPIL = select(GroupMember.group_id).where(GroupMember.pupil_id == bindparam("pupil"))


def tutor_groups(turn: Turn) -> list[TutoringGroup]:
    """Groups this person tutors or substitutes for today, by code. Their own groups stay listed
    while a substitute has them: the tutor keeps reading, the substitute acts (`acts_for`)."""
    if turn.person is None or turn.person.id is None:
        return []
    me = turn.person.id
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(or_(TutoringGroup.tutor_id == me, col(TutoringGroup.id).in_(_substituting(turn, me))))
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def _substituting(turn: Turn, person_id: int) -> SelectOfScalar[int]:
    """Ids of the groups `person_id` substitutes for today."""
    today = local_today(turn)
    return select(Substitution.group_id).where(
        Substitution.substitute_id == person_id,
        col(Substitution.ended_at).is_(None),
        Substitution.starts <= today,
        Substitution.ends >= today,
    )


def local_today(turn: Turn) -> date:
    return to_local(turn.now, turn.config.time_zone).date()


def acts_for(turn: Turn, group: TutoringGroup, day: date | None = None) -> bool:
    """Whether this person is the group's acting tutor on `day` (today): its substitute for the day,
    or its own tutor when it has none."""
    if turn.person is None or turn.person.id is None:
        return False
    return acting_tutor(turn.session, group, day or local_today(turn)) == turn.person.id


def substitute_of(turn: Turn, group: TutoringGroup, day: date | None = None) -> Substitution | None:
    """The substitution that holds the group on `day` (today), if any."""
    return substitution_on(turn.session, group.id or 0, day or local_today(turn))


def staff_groups(turn: Turn) -> list[TutoringGroup]:
    """Groups this person assists, tutors or substitutes for today, by code."""
    if turn.person is None or turn.person.id is None:
        return []
    me = turn.person.id
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(
                or_(
                    col(TutoringGroup.assistant_id) == me,
                    col(TutoringGroup.tutor_id) == me,
                    col(TutoringGroup.id).in_(_substituting(turn, me)),
                )
            )
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def assisted_groups(turn: Turn) -> list[TutoringGroup]:
    """Groups this person is the assistant teacher of, by code."""
    if turn.person is None or turn.person.id is None:
        return []
    return list(
        turn.session.exec(
            select(TutoringGroup)
            .where(col(TutoringGroup.assistant_id) == turn.person.id)
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
