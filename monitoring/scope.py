"""Who reads the monitoring and what they may see: a coordinator their schools, a class teacher their
classes; and the people, classes and groups inside a scope, as every table reads them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from locales.collation import sort_key
from models.enums import Role
from models.people import Guardianship, Membership, Person
from models.school import GroupMember, SchoolClass, TutoringGroup


@dataclass(frozen=True)
class Scope:
    """Who is looking and what they may see."""

    person_id: int
    school_ids: frozenset[int]
    class_ids: frozenset[int]
    pupil_ids: frozenset[int]


def scope_of(session: Session, person_id: int) -> Scope | None:
    """The coordinator's schools or the class teacher's classes; None for anyone else."""
    memberships = session.exec(select(Membership).where(Membership.person_id == person_id)).all()
    schools = {m.school_id for m in memberships if m.role == Role.COORDINATOR.value}
    led = {m.class_id for m in memberships if m.role == Role.CLASS_TEACHER.value and m.class_id is not None}
    if not schools and not led:
        return None
    class_rows = session.exec(
        select(SchoolClass).where(col(SchoolClass.school_id).in_(schools) | col(SchoolClass.id).in_(led))
    ).all()
    class_ids = {c.id for c in class_rows if c.id is not None}
    pupils = session.exec(
        select(Membership.person_id).where(
            Membership.role == Role.PUPIL.value,
            col(Membership.school_id).in_(schools) | col(Membership.class_id).in_(class_ids),
        )
    ).all()
    return Scope(
        person_id=person_id,
        school_ids=frozenset(schools | {c.school_id for c in class_rows}),
        class_ids=frozenset(class_ids),
        pupil_ids=frozenset(pupils),
    )


def names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Person).where(col(Person.id).in_(wanted))).all()
    return {p.id: p.full_name for p in rows if p.id is not None}


def class_of(session: Session, scope: Scope) -> dict[int, str]:
    """Pupil id → class name, for the pupils in scope."""
    rows = session.exec(
        select(Membership.person_id, SchoolClass.name)
        .where(col(Membership.class_id) == col(SchoolClass.id), Membership.role == Role.PUPIL.value)
        .where(col(Membership.person_id).in_(scope.pupil_ids))
    ).all()
    return {person_id: name for person_id, name in rows}


def pupils_sorted(session: Session, scope: Scope, language: str) -> list[tuple[int, str, str]]:
    """(id, class, name) of the pupils in scope, by class then name, as the reader's alphabet has it."""
    found = names(session, scope.pupil_ids)
    classes = class_of(session, scope)
    rows = [(pid, classes.get(pid, ""), found.get(pid, "")) for pid in scope.pupil_ids]
    return sorted(rows, key=lambda r: (sort_key(language, r[1]), sort_key(language, r[2]), r[0]))


def groups(session: Session, scope: Scope) -> list[TutoringGroup]:
    """Tutoring groups owned by a school in scope or holding a pupil in scope."""
    member_groups = select(GroupMember.group_id).where(col(GroupMember.pupil_id).in_(scope.pupil_ids))
    return list(
        session.exec(
            select(TutoringGroup)
            .where(
                col(TutoringGroup.school_id).in_(scope.school_ids) | col(TutoringGroup.id).in_(member_groups)
            )
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def members(session: Session, group_id: int, scope: Scope) -> set[int]:
    pupils = session.exec(select(GroupMember.pupil_id).where(GroupMember.group_id == group_id)).all()
    return {p for p in pupils if p in scope.pupil_ids}


def audience(session: Session, scope: Scope) -> set[int]:
    """People whose messages count for this scope: its pupils, their guardians, its staff."""
    guardians = session.exec(
        select(Guardianship.guardian_id).where(col(Guardianship.pupil_id).in_(scope.pupil_ids))
    ).all()
    staff = session.exec(
        select(Membership.person_id).where(
            col(Membership.class_id).in_(scope.class_ids)
            | (col(Membership.school_id).in_(scope.school_ids) & col(Membership.class_id).is_(None))
        )
    ).all()
    return set(scope.pupil_ids) | set(guardians) | set(staff)
