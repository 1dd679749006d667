"""Who has joined and who still needs a code: each class's and each group's people with the state of
their invitation, for the dashboard's invitation list, its printed sheets and the class teacher's
/invite.

The states are the store's (`models.invites.invite_states`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE
from locales.collation import sort_key
from models.enums import Role
from models.invites import EXPIRED, SENT, class_people, invite_states, only_once
from models.people import Person
from models.school import GroupMember, SchoolClass, TutoringGroup
from monitoring.scope import Scope, groups


@dataclass(frozen=True)
class Invitee:
    person_id: int
    name: str
    role: str
    state: str
    code: str = ""  # the code in force, while it is `SENT`
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Section:
    """A class (its class teacher, pupils and their parents) or a group (tutor, assistant, pupils)."""

    kind: str  # "class" or "group"
    id: int
    title: str
    people: list[Invitee]


def sections(
    session: Session, scope: Scope, now: datetime, language: str = DEFAULT_LANGUAGE
) -> list[Section]:
    """The classes in scope, then the groups, each with its people by role and name (in the
    alphabetical order of the reader's language)."""
    wanted: list[tuple[str, int, str, list[tuple[int, str]]]] = []
    for klass in session.exec(
        select(SchoolClass).where(col(SchoolClass.id).in_(scope.class_ids)).order_by(col(SchoolClass.name))
    ).all():
        wanted.append(("class", klass.id or 0, klass.name, class_people(session, klass.id or 0, language)))
    for group in groups(session, scope):
        wanted.append(("group", group.id or 0, group.code, _group_people(session, group, language)))
    ids = {person_id for *_, people in wanted for person_id, _ in people}
    by_id = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))).all()}
    known = invite_states(session, ids, now)
    result = []
    for kind, section_id, title, people in wanted:
        rows = []
        for person_id, role in people:
            person = by_id.get(person_id)
            if person is None or not person.full_name:
                continue  # erased
            state, invite = known[person_id]
            code, expires = (
                (invite.code, invite.expires_at) if invite is not None and state == SENT else ("", None)
            )
            if invite is not None and state == EXPIRED:
                expires = invite.expires_at
            rows.append(Invitee(person_id, person.full_name, role, state, code, expires))
        result.append(Section(kind, section_id, title, rows))
    return result


def _group_people(session: Session, group: TutoringGroup, language: str) -> list[tuple[int, str]]:
    staff = [
        (pid, role)
        for pid, role in ((group.tutor_id, Role.TUTOR), (group.assistant_id, Role.ASSISTANT))
        if pid
    ]
    pupils = session.exec(
        select(GroupMember.pupil_id, Person.full_name)
        .join(Person, col(Person.id) == GroupMember.pupil_id)
        .where(GroupMember.group_id == group.id)
        .order_by(col(Person.id))
    ).all()
    by_name = sorted(pupils, key=lambda row: sort_key(language, row[1]))
    return only_once(
        [*((pid, str(role)) for pid, role in staff), *((pid, Role.PUPIL.value) for pid, _ in by_name)]
    )


def in_scope(session: Session, scope: Scope, person_id: int, now: datetime) -> bool:
    """Whether the reader may reissue this person's code: someone on one of their lists."""
    return any(
        person.person_id == person_id
        for section in sections(session, scope, now)
        for person in section.people
    )
