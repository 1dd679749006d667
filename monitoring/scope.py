"""Who reads the monitoring and what they may see, as SQL the pages' queries filter by.

* a district's or region's coordinator: every school there (`models.district`), to read only;
* a school coordinator: their schools;
* a class teacher: their classes;
* a digital tutor or an assistant teacher: their groups.

A scope names whole schools, classes and groups; the pupils, classes and groups inside it are
subqueries (`pupils`, `classes`, `groups`), never id lists read into Python: a district of 4,000
pupils is one `IN (SELECT …)` for the database, not 4,000 bound values. A page may narrow a scope
to one of its schools or groups (`within_school`, `within_group`); nothing widens one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, union
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from models.district import DistrictCoordinator
from models.enums import Role
from models.people import Guardianship, Membership, Person
from models.school import GroupMember, School, SchoolClass, TutoringGroup
from monitoring.sql import Rows, unprobed

DISTRICT = "district"
SCHOOL = "school"
CLASS = "class"
GROUP = "group"
LEVELS = (DISTRICT, SCHOOL, CLASS, GROUP)  # widest first


@dataclass(frozen=True)
class Scope:
    """Who is looking (`person_id`), how wide (`level`), and what: whole schools, classes, groups."""

    person_id: int
    level: str
    school_ids: frozenset[int] = frozenset()
    class_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()
    # Whether the reader may message families from the dashboard (a district reads only).
    reminds: bool = True
    # Narrowed to these pupils of the scope (one pupil's summary); empty: all of them.
    only_pupils: frozenset[int] = frozenset()

    def pupils(self) -> Rows:
        """The ids of the pupils in scope."""
        everyone = self._pupils()
        if not self.only_pupils:
            return everyone
        return select(col(Person.id)).where(
            col(Person.id).in_(self.only_pupils), col(Person.id).in_(everyone)
        )

    def _pupils(self) -> Rows:
        parts: list[Rows] = []
        whole = [col(Membership.school_id).in_(self.school_ids)] if self.school_ids else []
        whole += [col(Membership.class_id).in_(self.class_ids)] if self.class_ids else []
        if whole:
            parts.append(
                select(col(Membership.person_id)).where(col(Membership.role) == Role.PUPIL.value, or_(*whole))
            )
        if self.group_ids:
            parts.append(
                select(col(GroupMember.pupil_id)).where(col(GroupMember.group_id).in_(self.group_ids))
            )
        if not parts:
            return select(col(Membership.person_id)).where(false())
        if len(parts) == 1:
            return parts[0]
        return select(union(*parts).subquery().c[0])

    def covers(self, pupil: Any) -> ColumnElement[bool]:
        """For a query joined to the pupil's membership (`monitoring.sql.pupil_membership`): the
        pupil is in scope. Said on the membership's school and class, so the database reads each
        row once instead of looking every row up in a list of thousands of pupils."""
        parts: list[ColumnElement[bool]] = []
        if self.school_ids:
            parts.append(unprobed(Membership.school_id).in_(self.school_ids))
        if self.class_ids:
            parts.append(col(Membership.class_id).in_(self.class_ids))
        if self.group_ids:
            members = select(col(GroupMember.pupil_id)).where(col(GroupMember.group_id).in_(self.group_ids))
            parts.append(col(pupil).in_(members))
        found = or_(*parts) if parts else false()
        return and_(found, col(pupil).in_(self.only_pupils)) if self.only_pupils else found

    def holds(self, pupil: Any) -> ColumnElement[bool]:
        """`pupil` (a column) is one of `pupils()`, asked of each row: their pupil membership in the
        scope's schools or classes (a correlated EXISTS, one index lookup), or one of its groups.
        For rows already narrowed by something else (a page's groups), where looking `pupils()` up
        would have the database walk its thousands of ids for every row."""
        parts: list[ColumnElement[bool]] = []
        whole = [col(Membership.school_id).in_(self.school_ids)] if self.school_ids else []
        whole += [col(Membership.class_id).in_(self.class_ids)] if self.class_ids else []
        if whole:
            parts.append(
                exists().where(
                    col(Membership.person_id) == pupil, col(Membership.role) == Role.PUPIL.value, or_(*whole)
                )
            )
        if self.group_ids:
            members = select(col(GroupMember.pupil_id)).where(col(GroupMember.group_id).in_(self.group_ids))
            parts.append(col(pupil).in_(members))
        found = or_(*parts) if parts else false()
        return and_(found, col(pupil).in_(self.only_pupils)) if self.only_pupils else found

    def in_groups(self, group: Any) -> list[ColumnElement[bool]]:
        """Conditions keeping `group` (a group id column) to this scope's groups, for rows already
        kept to its pupils: none for a school's or a class's scope, where a pupil's every group
        counts; the reader's own groups for a tutor, whose pupils have other tutors' groups too."""
        if not self.group_ids:
            return []
        if not (self.school_ids or self.class_ids):
            return [col(group).in_(self.group_ids)]
        return [col(group).in_(self.groups())]

    def classes(self) -> Rows:
        """The ids of the classes in scope: of its schools, and its own."""
        return select(col(SchoolClass.id)).where(
            or_(col(SchoolClass.school_id).in_(self.school_ids), col(SchoolClass.id).in_(self.class_ids))
        )

    def groups(self) -> Rows:
        """The ids of the groups in scope: owned by its schools, its own, and those that hold a pupil
        of its schools or classes (a virtual class owned by another school included)."""
        conditions = [
            col(TutoringGroup.school_id).in_(self.school_ids),
            col(TutoringGroup.id).in_(self.group_ids),
        ]
        if self.school_ids or self.class_ids:
            members = select(col(GroupMember.group_id)).where(
                col(GroupMember.pupil_id).in_(replace(self, group_ids=frozenset()).pupils())
            )
            conditions.append(col(TutoringGroup.id).in_(members))
        return select(col(TutoringGroup.id)).where(or_(*conditions))

    def audience(self) -> Rows:
        """People whose messages count for this scope: its pupils, their parents, and the staff of
        its schools and classes."""
        pupils = self.pupils()
        guardians = select(col(Guardianship.guardian_id)).where(col(Guardianship.pupil_id).in_(pupils))
        staff = select(col(Membership.person_id)).where(
            col(Membership.role) != Role.PUPIL.value,
            or_(
                col(Membership.class_id).in_(self.class_ids),
                and_(col(Membership.school_id).in_(self.school_ids), col(Membership.class_id).is_(None)),
            ),
        )
        return select(union(pupils, guardians, staff).subquery().c[0])

    def sees_pupil(self, session: Session, pupil_id: int) -> bool:
        found = session.execute(
            select(col(Person.id)).where(col(Person.id) == pupil_id, col(Person.id).in_(self.pupils()))
        )
        return found.first() is not None

    def within_school(self, session: Session, school_id: int) -> Scope | None:
        """The part of this scope in one school (a district drilling down), or None when the school
        is not wholly in it."""
        if school_id not in self.school_ids:
            return None
        return replace(
            self,
            level=SCHOOL,
            school_ids=frozenset({school_id}),
            class_ids=frozenset(),
            group_ids=frozenset(),
        )

    def within_pupil(self, session: Session, pupil_id: int) -> Scope | None:
        """One pupil of this scope (their summary), or None when they are not in it."""
        return (
            replace(self, only_pupils=frozenset({pupil_id})) if self.sees_pupil(session, pupil_id) else None
        )

    def within_group(self, session: Session, group_id: int) -> Scope | None:
        """One group of this scope, or None when it is not one of its groups."""
        found = session.execute(
            select(col(TutoringGroup.id)).where(
                col(TutoringGroup.id) == group_id, col(TutoringGroup.id).in_(self.groups())
            )
        ).first()
        if found is None:
            return None
        return replace(
            self, level=GROUP, school_ids=frozenset(), class_ids=frozenset(), group_ids=frozenset({group_id})
        )


def groups(session: Session, scope: Scope) -> list[TutoringGroup]:
    """The tutoring groups in scope, by code (the invitation lists read them whole)."""
    return list(
        session.exec(
            sqlmodel_select(TutoringGroup)
            .where(col(TutoringGroup.id).in_(scope.groups()))
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def scope_of(session: Session, person_id: int, *, areas: bool = True) -> Scope | None:
    """What `person_id` may read; None for someone who reads no monitoring (pupils, parents).
    `areas=False` leaves out the districts and regions they read: what they may act on."""
    memberships = session.execute(
        select(col(Membership.role), col(Membership.school_id), col(Membership.class_id)).where(
            col(Membership.person_id) == person_id,
            col(Membership.role).in_([Role.COORDINATOR.value, Role.CLASS_TEACHER.value]),
        )
    ).all()
    schools = {school for role, school, _ in memberships if role == Role.COORDINATOR.value}
    classes = {
        klass for role, _, klass in memberships if role == Role.CLASS_TEACHER.value and klass is not None
    }
    read_areas = (
        session.execute(
            select(col(DistrictCoordinator.region), col(DistrictCoordinator.district)).where(
                col(DistrictCoordinator.person_id) == person_id
            )
        ).all()
        if areas
        else []
    )
    in_areas = set(_schools_in(session, [(r, d) for r, d in read_areas])) if read_areas else set()
    groups: set[int] = set(
        session.execute(
            select(col(TutoringGroup.id)).where(
                or_(col(TutoringGroup.tutor_id) == person_id, col(TutoringGroup.assistant_id) == person_id)
            )
        )
        .scalars()
        .all()
    )
    if read_areas:
        level = DISTRICT
    elif schools:
        level = SCHOOL
    elif classes:
        level = CLASS
    elif groups:
        level = GROUP
    else:
        return None
    return Scope(
        person_id=person_id,
        level=level,
        school_ids=frozenset(schools | in_areas),
        class_ids=frozenset(classes),
        group_ids=frozenset(groups),
        reminds=bool(schools or classes or groups),
    )


def _schools_in(session: Session, areas: Iterable[tuple[str, str]]) -> list[int]:
    conditions = [
        and_(col(School.region) == region, col(School.district) == district)
        if district
        else col(School.region) == region
        for region, district in areas
    ]
    return list(session.execute(select(col(School.id)).where(or_(*conditions))).scalars().all())
