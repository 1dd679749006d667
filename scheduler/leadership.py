"""Which scheduler process leads on PostgreSQL: the one whose database session holds an advisory lock.

The lock belongs to the session that took it, so it goes when that session goes: the process dies,
its connection breaks, the server restarts. The leader therefore checks every `heartbeat` seconds,
on the lock's own connection, that its session still holds the lock (`pg_locks`); when the check
fails, or the connection is gone, or the check takes longer than a heartbeat, it stops its jobs at
once and logs it, and goes back to standing by. Its jobs ask `Leadership.leading` before each run.

A new leader waits two heartbeats after taking the lock before it starts its jobs and says that it
leads: a leader cut off by the same outage has checked by then and stopped, so the logs never show
two leaders at once. The standby logs once when it starts waiting and once when it takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("ustaz.scheduler")

LEADER_LOCK = 0x757374617A  # "ustaz"
# pg_locks shows a bigint advisory key as its high and low 32 bits.
_KEY = {"high": LEADER_LOCK >> 32, "low": LEADER_LOCK & 0xFFFFFFFF}
_TRY = text("SELECT pg_try_advisory_lock(:k)")
_UNLOCK = text("SELECT pg_advisory_unlock(:k)")
_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
    "AND classid = :high AND objid = :low AND objsubid = 1"
)
_PID = text("SELECT pg_backend_pid()")
_HOLDERS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :high AND objid = :low "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@contextmanager
def leader_lock(engine: Engine) -> Iterator[Connection | None]:
    """Hold the leader lock for as long as the block runs; yields the connection holding it, or None
    when another process leads."""
    connection = engine.connect()
    try:
        got = connection.execute(_TRY, {"k": LEADER_LOCK}).scalar()
        connection.commit()
        if not got:
            yield None
            return
        try:
            yield connection
        finally:
            with suppress(SQLAlchemyError):  # a lost session has no lock to give back
                connection.execute(_UNLOCK, {"k": LEADER_LOCK})
                connection.commit()
    finally:
        with suppress(SQLAlchemyError):
            connection.close()


def holds_lock(connection: Connection) -> bool:
    """Whether this connection's session still holds the leader lock (False when it is gone)."""
    try:
        held = connection.execute(_HELD, _KEY).scalar_one()
        connection.commit()
    except SQLAlchemyError:
        return False
    return int(held) == 1


def leader_sessions(engine: Engine) -> list[int]:
    """The database sessions holding the leader lock in this database (advisory locks are per
    database): one, or none between two leaders. For monitoring and the benchmarks."""
    with engine.connect() as connection:
        return [int(pid) for pid in connection.execute(_HOLDERS, _KEY).scalars()]


def session_pid(connection: Connection) -> int:
    pid = connection.execute(_PID).scalar_one()
    connection.commit()
    return int(pid)


class Leadership:
    """This process's view of whether it leads, checked every `heartbeat` seconds."""

    def __init__(self, connection: Connection, heartbeat: float) -> None:
        self.connection = connection
        self.heartbeat = heartbeat
        self._leading = False

    def leading(self) -> bool:
        return self._leading

    async def _still_held(self) -> bool:
        try:
            return await asyncio.wait_for(asyncio.to_thread(holds_lock, self.connection), self.heartbeat)
        except TimeoutError:
            return False

    async def take_over(self, stop: asyncio.Event) -> int | None:
        """Wait out two heartbeats, then lead; the lock's session id, or None when stopped or lost."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2 * self.heartbeat)
        if stop.is_set() or not await self._still_held():
            return None
        pid = await asyncio.to_thread(session_pid, self.connection)
        self._leading = True
        return pid

    async def hold(self, stop: asyncio.Event) -> bool:
        """Check every heartbeat until `stop` (False) or the lock is lost (True); leads no longer after."""
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.heartbeat)
                if stop.is_set():
                    return False
                if not await self._still_held():
                    return True
            return False
        finally:
            self._leading = False
