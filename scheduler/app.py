"""The scheduler process: APScheduler 3 (AsyncIOScheduler, in the school's time zone, `TZ_NAME`)
running one job that derives outbox rows from our tables every minute, and the nightly ones: the
retention purge (`scheduler.retention`) and the planner upkeep (`models.upkeep`).

There is no persistent APScheduler job store: schedules live in our tables (timetable, homework),
the job only inserts outbox rows idempotently (`scheduler.jobs.derive_due`), so a restart simply
derives again. Exactly one scheduler should run; on PostgreSQL `run_scheduler` leads only while it
holds an advisory lock (`scheduler.leadership`), so a second process waits as a standby and takes
over when the leader is gone, and a leader that loses the lock stops at once. On SQLite there is one
process anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial

from apscheduler.events import EVENT_JOB_SUBMITTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import metrics
from models import upkeep
from models.clock import utcnow
from models.store import is_postgres, session_scope
from models.upkeep import UPKEEP_JOB
from scheduler import retention
from scheduler.jobs import DeriveOptions, derive_due
from scheduler.leadership import Leadership, leader_lock
from settings import Settings

log = logging.getLogger("ustaz.scheduler")

DERIVE_JOB = "derive-outbox"


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
    leading: Callable[[], bool] = lambda: True,
) -> AsyncIOScheduler:
    """The scheduler with its jobs (not started). `on_derived` (say `Dispatcher.notify`) runs on
    the event loop after each derivation; a job runs only while `leading()` says so."""
    scheduler = AsyncIOScheduler(
        timezone=settings.tz_name,
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": int(misfire_grace.total_seconds()),
            "max_instances": 1,
        },
    )

    async def tick() -> None:
        if not leading():
            return
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
    retention.add_job(scheduler, engine, settings, clock, leading)
    scheduler.add_job(
        partial(_upkeep, engine, leading),
        CronTrigger(hour=4, minute=0, timezone=settings.tz_name),  # after the purge at 03:30
        id=UPKEEP_JOB,
        replace_existing=True,
    )
    scheduler.add_listener(metrics.job_started, EVENT_JOB_SUBMITTED)
    return scheduler


async def _upkeep(engine: Engine, leading: Callable[[], bool]) -> None:
    """The nightly planner upkeep (`models.upkeep`), only while this process leads."""
    if not leading():
        return
    try:
        await asyncio.to_thread(upkeep.nightly, engine)
    except DBAPIError:
        log.exception("scheduler: planner upkeep failed")


async def run_scheduler(
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event,
    *,
    on_derived: Callable[[], None] | None = None,
    standby_poll: float = 10.0,
    heartbeat: float = 1.0,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Run the scheduler until `stop` is set; on PostgreSQL only while holding the leader lock."""
    if not is_postgres(engine):
        scheduler = build_scheduler(engine, settings, on_derived=on_derived, clock=clock)
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
        return
    standing_by = False
    while not stop.is_set():
        try:
            with leader_lock(engine) as held:
                if held is None:
                    if not standing_by:
                        log.info(
                            "scheduler: another process leads; standing by (checking every %g s)",
                            standby_poll,
                        )
                        standing_by = True
                else:
                    standing_by = False
                    await _lead(engine, settings, stop, Leadership(held, heartbeat), on_derived, clock)
                    continue
        except DBAPIError:
            if not standing_by:
                log.warning("scheduler: store unreachable; standing by until it is back")
                standing_by = True
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), standby_poll)


async def _lead(
    engine: Engine,
    settings: Settings,
    stop: asyncio.Event,
    leadership: Leadership,
    on_derived: Callable[[], None] | None,
    clock: Callable[[], datetime],
) -> None:
    """Lead until `stop` or until the lock is lost; the jobs stop with the leadership."""
    pid = await leadership.take_over(stop)
    if pid is None:
        return
    log.info("scheduler: leading (database session %s)", pid)
    scheduler = build_scheduler(
        engine, settings, on_derived=on_derived, clock=clock, leading=leadership.leading
    )
    scheduler.start()
    try:
        lost = await leadership.hold(stop)
    finally:
        scheduler.shutdown(wait=False)
    if lost:
        log.error("scheduler: lost the leader lock (database session %s); stopped leading", pid)
    else:
        log.info("scheduler: stopped leading (database session %s)", pid)
