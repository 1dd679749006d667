"""The engine and sessions. SQLite (WAL) by default; PostgreSQL when DATABASE_URL says so.

On SQLite, deleted and overwritten content is zeroed as it goes (`secure_delete`), so an erased
child's name stays in no free page; `release_erased` then empties the write-ahead log, which still
holds the pages as they were. PostgreSQL keeps deleted rows on disk until VACUUM reuses the space,
and in its WAL segments until they are recycled: docs/security.md says what holds there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, create_engine

import models
import models.invariants  # noqa: F401  (commit-time rules)
from locales.collation import COLLATIONS, sort_bytes


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # INSERT OR REPLACE deletes the row it replaces: its delete triggers (the tallies, migration
    # 0019_tally) fire only when SQLite is told to.
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
    _sqlite_collations(dbapi_connection)


def _sqlite_collations(dbapi_connection: Any) -> None:
    """The readers' alphabetical orders (`locales.collation`) as functions SQLite sorts by:
    `ORDER BY ustaz_kk(name)`. PostgreSQL has them as ICU collations (migration 0012)."""
    for language, name in COLLATIONS.items():
        dbapi_connection.create_function(name, 1, partial(_sort_bytes, language), deterministic=True)


def _sort_bytes(language: str, text: object) -> object:
    return sort_bytes(language, text) if isinstance(text, str) else text


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if kwargs.pop("no_pool", False):
        kwargs["poolclass"] = NullPool
    else:
        kwargs.setdefault("pool_size", POOL_SIZE)
    connect_args = kwargs.pop("connect_args", {})
    engine = create_engine(url, connect_args={"options": POSTGRES_OPTIONS, **connect_args}, **kwargs)
    event.listen(engine.pool, "checkin", _idle_from)
    event.listen(engine.pool, "checkout", partial(_ping_if_idle, engine))
    return engine


# Settings of every PostgreSQL connection. JIT off: PostgreSQL compiles a query to machine code when
# its estimated cost passes `jit_above_cost`, and the dashboard's queries, whose correlated subqueries
# the planner costs at hundreds of thousands, spent 2 s of 2.4 compiling for 0.3 s of work (who needs
# attention, a school of 4,000; EXPLAIN ANALYZE). No query here runs long enough to win it back.
POSTGRES_OPTIONS = "-c jit=off"

# PostgreSQL connections kept open per process: the bot's turn threads (bots.turns), its outbox
# dispatcher, scheduler and pages. Past the pool a connection is opened for one use and closed
# again, which a burst of turns on the default 5 did for every third turn.
POOL_SIZE = 12
# A connection idle this long is pinged before use: the server may have restarted or dropped it
# meanwhile. One in use a moment ago is not: a ping on every checkout (pool_pre_ping) was a round
# trip more in each turn. A server lost under a burst fails the turn that meets it, and SQLAlchemy
# then replaces every connection of the pool.
PING_AFTER_IDLE = 1.0  # seconds


def _idle_from(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_from"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_from = record.info.get("idle_from")
    if idle_from is None or time.monotonic() - idle_from < PING_AFTER_IDLE:
        return  # new, or used a moment ago
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as lost:
        raise DisconnectionError("the connection was lost while idle") from lost  # the pool reconnects


def stored_id(row: SQLModel) -> int:
    """The id of a row the session has written (added and flushed). A row without one is a mistake in
    the code that asks, so it raises rather than passing None on."""
    row_id = getattr(row, "id", None)
    if not isinstance(row_id, int):
        raise ValueError(f"{type(row).__name__} has no id yet: add and flush it first")
    return row_id


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def release_erased(engine: Engine) -> None:
    """After an erasure has committed: on SQLite, copy the write-ahead log into the database file and
    truncate it, so the rows' old versions are in no file (the database's own pages were zeroed as
    they were freed). Waits for readers of older snapshots (busy_timeout); nothing to do on
    PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
