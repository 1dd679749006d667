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
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session

from models.clock import utcnow
from models.roster_memory import RosterMemory
from roster.parsed import Roster

COUNTER = "SELECT n FROM roster_store_version WHERE id = 1"
# Taken before the store is read for an apply that will be remembered: a write to the importer's
# tables by anyone else now waits for this transaction (PostgreSQL: the counter's row lock; SQLite:
# its one writer), so the counter remembered after the apply has counted nothing it did not see.
HOLD = "UPDATE roster_store_version SET n = n + 1 WHERE id = 1"


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
    """The validated roster's digest: every row and where it stands in the file (a file reordered
    is compared with the store, which is correct, only slower)."""
    return hashlib.sha256(repr(roster).encode()).hexdigest()


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
