"""An unchanged re-import without reading the store: the importer's memory of its last apply.

After applying a file the importer remembers, for the set of schools the file covers, a digest of the
validated roster and the store's change counter (`models.roster_memory`: triggers count every write
to a column the importer writes, whoever makes it). A later file with the same digest, while the
counter and the schema's revision are still the ones remembered, would write nothing: the import
then skips the store's rows and writes only its audit row ("nothing changed"). Anything else — a
pupil erased, a phone changed in a chat or by hand, another school's import, a migration — moves the
counter or the revision, and the file is compared with the store row by row as before.

The file is still read and checked in full every time: its findings are reported on every import.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session

from models.clock import utcnow
from models.dialects import dialect_of
from models.roster_memory import RosterMemory
from roster.parsed import (
    At,
    CalendarRow,
    ClassRow,
    GroupRow,
    LessonRow,
    PersonRow,
    ProgrammeRow,
    Roster,
    SchoolRow,
)

COUNTER = "SELECT n FROM roster_store_version WHERE id = 1"
# Taken before the store is read for an apply that will be remembered: a write to the importer's
# tables by anyone else now waits for this transaction (PostgreSQL: the counter's row lock; SQLite:
# its one writer), so the counter remembered after the apply has counted nothing it did not see.
HOLD = "UPDATE roster_store_version SET n = n + 1 WHERE id = 1"
# PostgreSQL's triggers then skip this transaction's own writes (a bulk insert is a statement a row
# there): the counter is remembered after them. SQLite's row triggers cost a one-row update each.
HELD = "SELECT set_config('ustaz.roster_held', 'on', true)"


@dataclass(frozen=True)
class Recall:
    """What the importer knows before applying: the file's scope and digest, and whether the store
    is still as the last apply of the same roster left it (`remembered`, else None)."""

    scope: str
    digest: str
    remembered: RosterMemory | None


def scope_of(roster: Roster) -> str:
    """The schools a file covers, as a key: a file is the whole roster of its schools."""
    return hashlib.sha256("\n".join(sorted(roster.schools)).encode()).hexdigest()


def digest(roster: Roster) -> str:
    """The validated roster's digest: every row's values in the file's order, without the row
    numbers (a row moved down by one inserted above it is the same row)."""
    found = hashlib.sha256()
    for table in fields(roster):
        rows = getattr(roster, table.name)
        if isinstance(rows, dict):
            rows = [(key, _values(row)) for key, row in rows.items()]
        found.update(repr((table.name, rows)).encode())
    return found.hexdigest()


def _values(row: object) -> object:
    """A parsed row's values but where it stands (`At`: the guardians sheet's rows are only that)."""
    return None if isinstance(row, At) else VALUES[type(row)](row)


def _values_of(kind: type) -> attrgetter[Any]:
    return attrgetter(*(f.name for f in fields(kind) if f.name != "at"))


VALUES: dict[type, attrgetter[Any]] = {
    kind: _values_of(kind)
    for kind in (ProgrammeRow, SchoolRow, ClassRow, PersonRow, GroupRow, LessonRow, CalendarRow)
}


def revision(session: Session) -> str:
    heads = MigrationContext.configure(session.connection()).get_current_heads()
    return ",".join(sorted(heads))


def recall(session: Session, roster: Roster) -> Recall:
    scope, file_digest = scope_of(roster), digest(roster)
    memory = session.get(RosterMemory, scope)
    unchanged = (
        memory is not None
        and memory.digest == file_digest
        and memory.version == session.execute(text(COUNTER)).scalar_one()
        and memory.revision == revision(session)
    )
    return Recall(scope, file_digest, memory if unchanged else None)


def hold(session: Session) -> None:
    session.execute(text(HOLD))
    if dialect_of(session) == "postgresql":
        session.execute(text(HELD))


def remember(
    session: Session,
    recall: Recall,
    school_ids: list[int],
    counts: dict[str, dict[str, int]],
) -> None:
    """After an apply (and `hold`): the store now holds this roster; rows per kind as a re-import
    would count them, all unchanged."""
    session.flush()
    kept = {
        kind: {"created": 0, "updated": 0, "removed": 0, "unchanged": total}
        for kind, c in counts.items()
        if kind != "invite" and (total := c["created"] + c["updated"] + c["unchanged"])
    }
    version, schema = session.execute(text(COUNTER)).scalar_one(), revision(session)
    memory = session.get(RosterMemory, recall.scope) or RosterMemory(
        scope=recall.scope, digest="", version=0, revision=""
    )
    memory.digest = recall.digest
    memory.version = version
    memory.revision = schema
    memory.school_ids = sorted(school_ids)
    memory.counts = kept
    memory.applied_at = utcnow()
    session.add(memory)
