"""Who has joined and who still needs a code: each class's and each group's people with the state of
their invitation, for the dashboard's invitation list, its printed sheets and the class teacher's
/invite.

The states are the store's (`models.invites.invite_states`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, union_all
from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE
from models.consent_rules import CHUNK, PROGRAMME_SCOPE
from models.enums import Role
from models.invites import EXPIRED, JOINED, SENT, class_people, group_families, invite_states, only_once
from models.people import Consent, Guardianship, Membership, Person
from models.school import GroupMember, SchoolClass, TutoringGroup
from monitoring.scope import Scope, groups

PAPER = "paper"  # a consent's channel when the school recorded a signed application (handlers.paper_record)


@dataclass(frozen=True)
class Invitee:
    person_id: int
    name: str
    role: str
    state: str
    code: str = ""  # the code in force, while it is `SENT`
    expires_at: datetime | None = None
    # A parent not joined whose consent is in force: "paper" (a signed application the school
    # recorded) or "given" (through another way, such as data brought in); they may still join.
    consent: str = ""


@dataclass(frozen=True)
class Section:
    """A class (its class teacher, pupils and their parents) or a group (tutor, assistant teacher,
    pupils and their parents)."""

    kind: str  # "class" or "group"
    id: int
    title: str
    people: list[Invitee]


@dataclass(frozen=True)
class Heading:
    """A section before its people are read: what it is and how many people it lists."""

    kind: str
    id: int
    title: str
    size: int


def headings(session: Session, scope: Scope) -> list[Heading]:
    """The classes in scope by name, then the groups by code, each with the number of people its
    section lists (`sections`: each once, the erased left out), counted by the database; none for a
    district's or region's coordinator, who reads and sends nothing."""
    if not scope.reminds:
        return []
    classes = session.exec(
        select(SchoolClass.id, SchoolClass.name)
        .where(col(SchoolClass.id).in_(scope.classes()))
        .order_by(col(SchoolClass.name))
    ).all()
    in_classes = col(Membership.class_id).in_(scope.classes())
    class_sizes = _sizes(
        session,
        select(col(Membership.class_id), col(Membership.person_id)).where(
            in_classes, col(Membership.role).in_([Role.CLASS_TEACHER.value, Role.PUPIL.value])
        ),
        select(col(Membership.class_id), col(Guardianship.guardian_id))
        .join(Guardianship, col(Guardianship.pupil_id) == col(Membership.person_id))
        .where(in_classes, col(Membership.role) == Role.PUPIL.value),
    )
    in_scope = scope.groups().cte("in_scope")  # found once, read three times
    group_sizes = _sizes(
        session,
        select(col(TutoringGroup.id), col(TutoringGroup.tutor_id)).where(
            col(TutoringGroup.id).in_(select(in_scope.c.id))
        ),
        select(col(TutoringGroup.id), col(TutoringGroup.assistant_id)).where(
            col(TutoringGroup.id).in_(select(in_scope.c.id))
        ),
        select(col(GroupMember.group_id), col(GroupMember.pupil_id)).where(
            col(GroupMember.group_id).in_(select(in_scope.c.id))
        ),
        select(col(GroupMember.group_id), col(Guardianship.guardian_id))
        .join(Guardianship, col(Guardianship.pupil_id) == col(GroupMember.pupil_id))
        .where(col(GroupMember.group_id).in_(select(in_scope.c.id))),
    )
    return [Heading("class", cid or 0, name, class_sizes.get(cid or 0, 0)) for cid, name in classes] + [
        Heading("group", group.id or 0, group.code, group_sizes.get(group.id or 0, 0))
        for group in groups(session, scope)
    ]


def _sizes(session: Session, *listed: Any) -> dict[int, int]:
    """How many people, each once and not erased, each section of `listed` (section, person) has."""
    rows = union_all(*listed).subquery()
    section, person = rows.c[0], rows.c[1]
    return {
        int(key): int(count)
        for key, count in session.execute(
            select(section, func.count(func.distinct(person)))
            .join(Person, col(Person.id) == person)
            .where(func.coalesce(col(Person.full_name), "") != "")
            .group_by(section)
        ).all()
    }


def sections(
    session: Session,
    scope: Scope,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
    chosen: list[Heading] | None = None,
) -> list[Section]:
    """The classes in scope, then the groups (or the `chosen` ones), each with its people by role and
    name (in the alphabetical order of the reader's language)."""
    wanted: list[tuple[str, int, str, list[tuple[int, str]]]] = []
    for heading in headings(session, scope) if chosen is None else chosen:
        if heading.kind == "class":
            people = class_people(session, heading.id, language)
        else:
            group = session.get(TutoringGroup, heading.id)
            people = _group_people(session, group, language) if group is not None else []
        wanted.append((heading.kind, heading.id, heading.title, people))
    ids = {person_id for *_, people in wanted for person_id, _ in people}
    by_id = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))).all()}
    known = invite_states(session, ids, now)
    consented = consent_without_chat(session, {pid for pid, (state, _) in known.items() if state != JOINED})
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
            rows.append(
                Invitee(person_id, person.full_name, role, state, code, expires, consented.get(person_id, ""))
            )
        result.append(Section(kind, section_id, title, rows))
    return result


def consent_without_chat(session: Session, person_ids: set[int]) -> dict[int, str]:
    """Of these people (parents who have not joined), those whose latest decision for some child is
    a consent in force — the consent the overview counts —, by how it came: "paper" or "given"."""
    latest: dict[tuple[int, int], Consent] = {}
    wanted = sorted(person_ids)
    for part in (wanted[at : at + CHUNK] for at in range(0, len(wanted), CHUNK)):
        for row in session.exec(
            select(Consent)
            .where(col(Consent.guardian_id).in_(part), Consent.scope == PROGRAMME_SCOPE)
            .order_by(col(Consent.decided_at), col(Consent.id))
        ).all():
            latest[(row.guardian_id, row.pupil_id)] = row
    found: dict[int, str] = {}
    for (guardian_id, _pupil_id), row in latest.items():
        in_force = row.given and row.withdrawn_at is None
        if in_force and (row.channel == PAPER or guardian_id not in found):  # paper, if any is
            found[guardian_id] = PAPER if row.channel == PAPER else "given"
    return found


def page_of(
    session: Session, scope: Scope, now: datetime, language: str, number: int, size: int
) -> tuple[list[tuple[Section, list[Invitee]]], int, list[Heading]]:
    """The people of page `number` (1-based) grouped by section, the number of pages, and every
    section's heading: only the sections the page shows are read person by person."""
    found = headings(session, scope)
    pages = max(1, -(-sum(h.size for h in found) // size))
    first = (min(number, pages) - 1) * size
    shown: list[tuple[Heading, int]] = []  # a section and where the page starts in it
    start = 0
    for heading in found:
        if start + heading.size > first and start < first + size and heading.size:
            shown.append((heading, max(0, first - start)))
        start += heading.size
    read = sections(session, scope, now, language, [heading for heading, _ in shown])
    grouped: list[tuple[Section, list[Invitee]]] = []
    left = size
    for section, (_heading, skip) in zip(read, shown, strict=True):
        people = section.people[skip : skip + left]
        if people:
            grouped.append((section, people))
            left -= len(people)
    return grouped, pages, found


def class_section(
    session: Session, scope: Scope, now: datetime, language: str, class_id: int
) -> Section | None:
    """One class's section (its printed sheet), or None when the class is not the reader's."""
    if not scope.reminds:
        return None
    klass = session.exec(
        select(SchoolClass).where(SchoolClass.id == class_id, col(SchoolClass.id).in_(scope.classes()))
    ).first()
    if klass is None:
        return None
    return sections(session, scope, now, language, [Heading("class", class_id, klass.name, 0)])[0]


def _group_people(session: Session, group: TutoringGroup, language: str) -> list[tuple[int, str]]:
    """A group's tutor and assistant teacher, then its families (`models.invites.group_families`,
    whom the assistant's /invite lists too)."""
    staff = [
        (pid, str(role))
        for pid, role in ((group.tutor_id, Role.TUTOR), (group.assistant_id, Role.ASSISTANT))
        if pid
    ]
    return only_once([*staff, *group_families(session, group.id or 0, language)])


def in_scope(session: Session, scope: Scope, person_id: int, now: datetime) -> bool:
    """Whether the reader may reissue this person's code: someone on one of their lists."""
    return any(
        person.person_id == person_id
        for section in sections(session, scope, now)
        for person in section.people
    )
