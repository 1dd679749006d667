"""What the roster importer remembers of its last apply, and the store's count of changes to what it
manages (`roster.memory` reads and writes both).

`RosterMemory`, one row per set of schools a file covers: the digest of the validated roster last
applied to them, of the file's bytes and of the importer's code, the findings the file's checks
reported, and the value `roster_store_version.n` had just after. The counter is moved by
triggers (migration 0016_reimport) on every insert, delete and update of a column the importer
writes — whoever writes it: a chat, the dashboard, an erasure, a migration, a hand-typed SQL
statement. So "same digest, counter, schema revision and code" means that applying the file again
would write nothing, and the importer may skip reading the store for it; with the same bytes and
code too, reading the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class RosterMemory(SQLModel, table=True):
    __tablename__ = "roster_memory"

    scope: str = Field(primary_key=True, max_length=64)  # sha256 of the file's school codes, sorted
    digest: str = Field(max_length=64)  # sha256 of the validated roster (roster.memory.digest)
    version: int = Field(sa_type=BigInteger)  # roster_store_version.n just after the apply
    revision: str = Field(max_length=64)  # the schema's Alembic revision then
    code: str = Field(default="", max_length=64)  # sha256 of the importer's code (roster.memory.CODE)
    file: str = Field(default="", max_length=64, index=True)  # roster.memory.file_digest of the file
    notes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # the file's findings
    school_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    counts: dict[str, dict[str, int]] = Field(default_factory=dict, sa_type=JSON)  # rows per kind
    applied_at: datetime = Field(default_factory=utcnow)


class RosterStoreVersion(SQLModel, table=True):
    """One row (id 1): how many times the importer's tables were written, as the triggers count."""

    __tablename__ = "roster_store_version"

    id: int = Field(primary_key=True)
    n: int = Field(default=0, sa_type=BigInteger)
