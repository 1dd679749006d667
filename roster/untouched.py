"""Other schools' memories kept across an import that did not reach them.

The store's change counter (`roster.memory`) is one for the whole store, so any apply would send every
other set of schools' next re-import through the full check and comparison. An apply of schools X
leaves a memory of schools Y (current just before it: nothing else had written since) current after it
too when it wrote nothing a re-import of Y reads or compares:

* no programme (every school's groups are checked against their programme's rules);
* none of Y's schools, so none of their classes, memberships or calendar: X and Y share no school;
* none of Y's people, so none of their names, phones, identities or guardianships as pupils: after
  Y's apply every person Y names holds a role in one of Y's schools, and no person X names does;
* none of Y's groups, so none of their members or lessons: each group Y names is owned by one of Y's
  schools or has pupils (at least the programme's minimum) holding a role in one, and no group X
  names is either, as the store stood before X's apply (which may move its pupils and owner). The
  groups X's apply ends are owned by X's schools.

Y's checks read of the store only the programmes and who holds each phone and postal address; X's apply
moves an address only between people it names. Anything else moves Y's memory on as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models import GroupMember, Membership, RosterMemory, TutoringGroup
from roster.bulk import chunks
from roster.memory import code_digest, revision


def current_others(session: Session, scope: str, before: int) -> list[RosterMemory]:
    """The memories of other schools that were current when the counter stood at `before`."""
    found = session.exec(
        select(RosterMemory).where(RosterMemory.scope != scope, RosterMemory.version == before)
    ).all()
    schema, code = revision(session), code_digest()
    return [memory for memory in found if memory.revision == schema and memory.code == code]


def schools_of_groups(session: Session, codes: Iterable[str]) -> set[int]:
    """The schools owning the groups coded `codes`, or where their pupils hold a role."""
    reached: set[int] = set()
    for part in chunks(sorted(codes)):
        owners = select(TutoringGroup.school_id).where(col(TutoringGroup.code).in_(part))
        reached.update(school for school in session.exec(owners) if school is not None)
        pupils = (
            select(Membership.school_id)
            .join(GroupMember, col(GroupMember.pupil_id) == col(Membership.person_id))
            .join(TutoringGroup, col(TutoringGroup.id) == col(GroupMember.group_id))
            .where(col(TutoringGroup.code).in_(part))
            .distinct()
        )
        reached.update(session.exec(pupils))
    return reached


def schools_of_people(session: Session, person_ids: Iterable[int]) -> set[int]:
    """The schools where the people of `person_ids` hold a role."""
    reached: set[int] = set()
    for part in chunks(sorted(person_ids)):
        roles = select(Membership.school_id).where(col(Membership.person_id).in_(part)).distinct()
        reached.update(session.exec(roles))
    return reached


@dataclass
class Others:
    """Before an apply: the other memories current then, and the schools the file's groups reach."""

    memories: list[RosterMemory]
    reached: set[int] = field(default_factory=set)


def before_apply(session: Session, scope: str, before: int, group_codes: Iterable[str]) -> Others:
    memories = current_others(session, scope, before)
    return Others(memories, schools_of_groups(session, group_codes) if memories else set())


def after_apply(
    session: Session,
    others: Others,
    counts: dict[str, dict[str, int]],
    school_ids: list[int],
    person_ids: Iterable[int],
    version: int,
) -> list[RosterMemory]:
    """Move the memories of schools the apply did not reach on to `version` (the counter after it);
    the ones kept."""
    programmes = counts.get("programme", {})
    if not others.memories or any(programmes.get(c) for c in ("created", "updated", "removed")):
        return []
    reached = others.reached | set(school_ids) | schools_of_people(session, person_ids)
    kept = [memory for memory in others.memories if not reached & set(memory.school_ids)]
    for memory in kept:
        memory.version = version
        session.add(memory)
    return kept
