"""An upload limited to the uploader's schools (the dashboard: a coordinator uploads for their own).

A roster file is the whole roster of the schools it lists, and it also rewrites the people and the
groups it names. So a limited import refuses, as row errors, every school of the schools sheet
outside the limit, every person already in the store whose roles are all in other schools, and every
group already owned by another school: otherwise one school's file could change another school's
classes, people's phones or groups. People with no role anywhere yet, and groups owned by no school,
are anyone's to name. A programme is every school's: a limited upload may define a new one or repeat
one as it is stored, not change its rules. The command line imports without a limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from locales import T, Text
from models import Membership, Person, Programme, School, TutoringGroup
from roster.apply import PROGRAMME_COLUMNS, programme_values
from roster.bulk import chunks, differing, rows_where_in
from roster.parsed import At, Roster
from roster.report import RowError


def outside_schools(session: Session, file: str, roster: Roster, only: frozenset[str]) -> list[RowError]:
    """The rows of `roster` that reach beyond the schools coded `only`."""
    errors: list[RowError] = []

    def error(at: At, field: str, reason: Text) -> None:
        errors.append(RowError(file, at.sheet, at.row, field, reason))

    for code, school in roster.schools.items():
        if code not in only:
            error(school.at, "code", T("roster.error.school_not_yours", code=code))
    person_schools = _schools_of_people(session, list(roster.people))
    for external_id, person in roster.people.items():
        schools = person_schools.get(external_id)
        if schools and not schools & only:
            error(person.at, "id", T("roster.error.person_of_other_school", id=external_id))
    for code, owner in _owners_of_groups(session, list(roster.groups)).items():
        if owner not in only:
            error(roster.groups[code].at, "code", T("roster.error.group_of_other_school", code=code))
    columns = [Programme.code, *(getattr(Programme, c) for c in PROGRAMME_COLUMNS)]
    stored = {p.code: p for p in rows_where_in(session, columns, Programme.code, roster.programmes)}
    for code, row in roster.programmes.items():
        if code in stored and differing(stored[code], programme_values(row)):
            error(row.at, "code", T("roster.error.programme_of_everyone", code=code))
    return errors


def _schools_of_people(session: Session, external_ids: Sequence[str]) -> dict[str, set[str]]:
    """External id → codes of the schools the person has a role in (people without one are absent)."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(external_ids):
        rows = session.exec(
            select(Person.external_id, School.code)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .join(School, col(School.id) == col(Membership.school_id))
            .where(col(Person.external_id).in_(chunk))
        )
        for external_id, code in rows:
            found[external_id].add(code)
    return found


def _owners_of_groups(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """Group code → code of the school owning it, for the groups already stored with an owner."""
    found: dict[str, str] = {}
    for chunk in chunks(codes):
        rows = session.exec(
            select(TutoringGroup.code, School.code)
            .join(School, col(School.id) == col(TutoringGroup.school_id))
            .where(col(TutoringGroup.code).in_(chunk))
        )
        found.update(dict(rows.all()))
    return found
