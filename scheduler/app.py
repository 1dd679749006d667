"""The scheduler process: APScheduler 3 (AsyncIOScheduler, Asia/Almaty) running one job that
derives outbox rows from our tables every minute.

There is no persistent APScheduler job store: schedules live in our tables (timetable, homework),
the job only inserts outbox rows idempotently (`scheduler.jobs.derive_due`), so a restart simply
derives again. Exactly one scheduler should run; on PostgreSQL `run_scheduler` takes an advisory
lock first, so a second process waits as a standby. On SQLite there is one process anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, text

import metrics
from models.clock import utcnow
from models.settings import Settings
from models.store import is_postgres, session_scope
from scheduler import retention
from scheduler.jobs import DeriveOptions, derive_due

log = logging.getLogger("ustaz.scheduler")

DERIVE_JOB = "derive-outbox"
LEADER_LOCK = 0x757374617A  # "ustaz"


def derive_once(
    engine: Engine,
    settings: Settings,
    *,
    lookahead: timedelta = timedelta(minutes=2),
    catch_up: timedelta = timedelta(minutes=30),
    clock: Callable[[], datetime] = utcnow,
    options: DeriveOptions | None = None,
) -> int:
    """One run of the job: derive what is due from `catch_up` ago to `lookahead` ahead."""
    now = clock()
    with session_scope(engine) as session:
        count = derive_due(
            session,
            now - catch_up,
            now + lookahead,
            now=now,
            options=options or DeriveOptions.from_settings(settings),
        )
    log.debug("scheduler: %d notifications offered", count)
    return count


def build_scheduler(
    engine: Engine,
    settings: Settings,
    *,
    on_derived: Callable[[], None] | None = None,
    interval: timedelta = timedelta(minutes=1),
    misfire_grace: timedelta = timedelta(minutes=10),
    options: DeriveOptions | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> AsyncIOScheduler:
    """The scheduler with its one job (not started). `on_derived` (say `Dispatcher.notify`) runs on
    the event loop after each derivation."""
    scheduler = AsyncIOScheduler(
        timezone=settings.tz_name,
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": int(misfire_grace.total_seconds()),
            "max_instances": 1,
        },
    )

    async def tick() -> None:
        try:
            await asyncio.to_thread(derive_once, engine, settings, options=options, clock=clock)
        except Exception:
            log.exception("scheduler: derivation failed")
            return
        if on_derived is not None:
            on_derived()

    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=int(interval.total_seconds()), timezone=settings.tz_name),
        id=DERIVE_JOB,
        next_run_time=datetime.now(settings.zone),
        replace_existing=True,
    )
    retention.add_job(scheduler, engine, settings, clock)
    scheduler.add_listener(metrics.job_started, EVENT_JOB_SUBMITTED)
    return scheduler


@contextmanager
def leader_lock(engine: Engine) -> Iterator[Connection | None]:
    """Hold PostgreSQL's session advisory lock for as long as the block runs; yields the connection
    holding it, or None when another process is the leader. SQLite: always the leader."""
    if not is_postgres(engine):
        yield None
        return
    connection = engine.connect()
    try:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar()
        connection.commit()
        if not got:
            yield None
            return
        try:
            yield connection
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
            connection.commit()
    finally:
        connection.close()


async def run_scheduler(
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event,
    *,
    on_derived: Callable[[], None] | None = None,
    standby_poll: float = 10.0,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Run the scheduler until `stop` is set; on PostgreSQL only while holding the leader lock."""
    while not stop.is_set():
        with leader_lock(engine) as held:
            if is_postgres(engine) and held is None:
                log.info("scheduler: another process leads; standing by")
            else:
                scheduler = build_scheduler(engine, settings, on_derived=on_derived, clock=clock)
                scheduler.start()
                try:
                    await stop.wait()
                finally:
                    scheduler.shutdown(wait=False)
                return
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), standby_poll)
