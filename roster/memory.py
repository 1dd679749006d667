"""An unchanged re-import without reading the store, or the file: the importer's memory of its last apply.

After applying a file the importer remembers, for the set of schools the file covers, a digest of the
validated roster, a digest of the file's bytes, the findings its checks reported (landlines, groups
without lessons), and the store's change counter (`models.roster_memory`: triggers count every
write to a column the importer writes, whoever makes it), with the schema's revision and the
importer's own code. While the counter, the revision and the code are still the ones remembered:

* the same bytes (`recall_file`) are neither parsed nor checked: the remembered findings are reported
  again and only the audit row is written ("nothing changed"). The checks depend only on the file,
  the store's programmes and phone owners (unchanged, as the counter says) and this code;
* other bytes with the same validated roster (`recall`: a csv after an xlsx, a cell's spacing) are
  checked in full, and the store is skipped.

Anything else — a pupil erased, a phone changed in a chat or by hand, a migration, a new release of
the importer — moves the counter, the revision or the code, and the file is checked and compared
with the store row by row as before. Another school's import moves the counter too, but keeps this
memory current when it reached none of its schools, people, groups or programmes
(`roster.untouched`). Whether an upload limited to the uploader's schools reaches beyond them depends
on who uploads it: the same bytes skip the checks only for an uploader whose schools include all of
the file's. After an apply every person the file names holds a role in one of its schools
(validation asks each for a school, a guardian gets their pupils'), every group it names is owned by
one of them or by none, and its programmes are stored as it gives them: with the store unchanged,
`roster.scope` would find nothing beyond them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, col, select

from locales import Text
from models.clock import utcnow
from models.dialects import dialect_of
from models.roster_memory import RosterMemory
from models.school import School
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
from roster.report import RowError

COUNTER = "SELECT n FROM roster_store_version WHERE id = 1"
# Taken before the store is read for an apply that will be remembered: a write to the importer's
# tables by anyone else now waits for this transaction (PostgreSQL: the counter's row lock; SQLite:
# its one writer), so the counter remembered after the apply has counted nothing it did not see.
HOLD = "UPDATE roster_store_version SET n = n + 1 WHERE id = 1"
# PostgreSQL's triggers then skip this transaction's own writes (a bulk insert is a statement a row
# there): the counter is remembered after them. SQLite's row triggers cost a one-row update each.
HELD = "SELECT set_config('ustaz.roster_held', 'on', true)"


# What the checks are made of, besides the file and the store: a new release of any of it may find
# what the last one did not (models.phones: which numbers are mobiles, and valid).
CODE = (*sorted(Path(__file__).parent.glob("*.py")), Path(__file__).parents[1] / "models" / "phones.py")


@dataclass(frozen=True)
class Recall:
    """What the importer knows before applying: the file's scope and digests, and whether the store
    is still as the last apply of the same roster left it (`remembered`, else None)."""

    scope: str
    digest: str
    file: str
    remembered: RosterMemory | None


@cache
def code_digest() -> str:
    """The importer's code as this process runs it (read once)."""
    found = hashlib.sha256()
    for source in CODE:
        found.update(source.read_bytes())
    return found.hexdigest()


def file_digest(file_format: str, sha256: str) -> str:
    """The file as read: its format (how its bytes are parsed) and its bytes' digest."""
    return hashlib.sha256(f"{file_format}:{sha256}".encode()).hexdigest()


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


def _current(session: Session, memory: RosterMemory) -> bool:
    """Nothing has written to the importer's tables since `memory`, under the same schema and code."""
    return (
        memory.version == session.execute(text(COUNTER)).scalar_one()
        and memory.revision == revision(session)
        and memory.code == code_digest()
    )


def recall_file(session: Session, file: str, only_schools: frozenset[str] | None) -> RosterMemory | None:
    """The memory of the last apply of these very bytes (`file_digest`), if the store is still as it
    left it and the uploader may skip the checks (see the module's note)."""
    memory = session.exec(select(RosterMemory).where(RosterMemory.file == file)).first()
    if memory is None or not _current(session, memory):
        return None
    if only_schools is None or _codes(session, memory.school_ids) <= only_schools:
        return memory
    return None


def _codes(session: Session, school_ids: list[int]) -> set[str]:
    return set(session.exec(select(School.code).where(col(School.id).in_(school_ids))))


def recall(session: Session, roster: Roster, file: str) -> Recall:
    scope, roster_digest = scope_of(roster), digest(roster)
    memory = session.get(RosterMemory, scope)
    unchanged = memory is not None and memory.digest == roster_digest and _current(session, memory)
    return Recall(scope, roster_digest, file, memory if unchanged else None)


def hold(session: Session) -> int:
    """Take the counter (see HOLD); its value just before, which memories current then hold."""
    session.execute(text(HOLD))
    if dialect_of(session) == "postgresql":
        session.execute(text(HELD))
    return int(session.execute(text(COUNTER)).scalar_one()) - 1


def remember(
    session: Session,
    recall: Recall,
    school_ids: list[int],
    counts: dict[str, dict[str, int]],
    notes: list[RowError],
) -> int:
    """After an apply (and `hold`): the store now holds this roster; rows per kind as a re-import
    would count them, all unchanged; the file's findings, as its checks would report them again
    (they read of the store only the programmes and the phones' owners, which the apply made the
    file's own). The counter's value now."""
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
    remember_file(session, memory, recall.file, notes)
    return int(version)


def remember_file(session: Session, memory: RosterMemory, file: str, notes: list[RowError]) -> None:
    """These bytes are (now) the file of `memory`'s roster, with these findings; under this code."""
    memory.code = code_digest()
    memory.file = file
    memory.notes = [_note(note) for note in notes]
    session.add(memory)


def remembered_notes(memory: RosterMemory, file: str) -> list[RowError]:
    """The findings remembered, as the report of a file named `file` gives them."""
    return [
        RowError(file, note["sheet"], note["row"], note["field"], _text_of(note["reason"]))
        for note in memory.notes
    ]


def _note(note: RowError) -> dict[str, Any]:
    return {"sheet": note.sheet, "row": note.row, "field": note.field, "reason": _text(note.reason)}


def _text(reason: Text) -> dict[str, Any]:
    """A finding's reason as JSON: its key, count, and values (a value that is itself a message, such
    as a weekday's name, as one too)."""
    if type(reason) is not Text:
        raise TypeError(f"a finding's {type(reason).__name__} cannot be remembered")
    return {
        "key": reason.key,
        "count": reason.count,
        "params": {n: _value(v) for n, v in reason.params.items()},
    }


def _value(value: Any) -> Any:
    if isinstance(value, Text):
        return _text(value)
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"a finding's value of {type(value).__name__} cannot be remembered")


def _text_of(found: dict[str, Any]) -> Text:
    params = {name: _text_of(v) if isinstance(v, dict) else v for name, v in found["params"].items()}
    return Text(found["key"], params, found["count"])
