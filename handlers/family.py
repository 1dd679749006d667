"""Who belongs to whom: a guardian's children, a pupil's guardians and subjects."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.people import Guardianship, Person
from models.school import GroupMember, TutoringGroup


def children_of(session: Session, guardian_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(Guardianship, col(Guardianship.pupil_id) == Person.id)
            .where(Guardianship.guardian_id == guardian_id)
            .order_by(col(Person.id))
        ).all()
    )


def guardians_of(session: Session, pupil_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(Guardianship, col(Guardianship.guardian_id) == Person.id)
            .where(Guardianship.pupil_id == pupil_id)
            .order_by(col(Person.id))
        ).all()
    )


def subjects_of(session: Session, pupil_id: int) -> list[str]:
    return sorted(
        set(
            session.exec(
                select(TutoringGroup.subject)
                .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
                .where(GroupMember.pupil_id == pupil_id)
            ).all()
        )
    )
