"""Planner upkeep (models.upkeep): statistics after a roster import, and every night on SQLite."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, text

from models.store import is_postgres
from models.upkeep import UPKEEP_JOB
from scheduler.app import build_scheduler
from settings import Settings
from tests.support.roster import SAMPLE_XLSX, run

pytestmark = pytest.mark.store

# The tables the dashboard's and the scheduler's queries lean on most.
BIG_TABLES = ("person", "membership", "group_member", "guardianship", "lesson")

_SQLITE = """SELECT DISTINCT tbl FROM sqlite_stat1"""
_POSTGRES = """SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"""


def analysed(engine: Engine) -> set[str]:
    """The tables the planner has statistics of."""
    with engine.connect() as connection:
        if is_postgres(engine):
            return set(connection.execute(text(_POSTGRES)).scalars())
        kept = connection.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        return set(connection.execute(text(_SQLITE)).scalars()) if kept.scalar_one() else set()


def test_a_roster_import_leaves_the_planner_statistics_of_the_big_tables(engine: Engine) -> None:
    assert not set(BIG_TABLES) & analysed(engine)
    assert run(engine, SAMPLE_XLSX).ok
    assert set(BIG_TABLES) <= analysed(engine)


def test_a_dry_run_writes_no_statistics(engine: Engine) -> None:
    if is_postgres(engine):
        pytest.skip("PostgreSQL's autovacuum may analyse on its own at any moment")
    assert run(engine, SAMPLE_XLSX, dry_run=True).ok
    assert not analysed(engine)


def test_the_scheduler_refreshes_the_statistics_every_night_on_sqlite(
    engine: Engine, settings: Settings
) -> None:
    if is_postgres(engine):
        pytest.skip("on PostgreSQL autovacuum analyses; the nightly job leaves it be")
    assert run(engine, SAMPLE_XLSX).ok
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sqlite_stat1"))
    standby = build_scheduler(engine, settings, leading=lambda: False).get_job(UPKEEP_JOB)
    asyncio.run(standby.func())
    assert not analysed(engine)  # a process that does not lead leaves it to the leader

    job = build_scheduler(engine, settings).get_job(UPKEEP_JOB)
    assert "hour='4'" in str(job.trigger) and "minute='0'" in str(job.trigger)  # after the purge
    asyncio.run(job.func())
    assert set(BIG_TABLES) <= analysed(engine)
