"""Planner upkeep: the statistics the database's query planner chooses its plans by.

SQLite gathers none by itself: without `sqlite_stat1` it guesses every index equally selective,
and the dashboard's overview of a month for one school of 4,000 pupils took 322 ms instead of 212
with statistics (bench/overview_periods.py; docs/dashboard.md, Speed, has every period and what
statistics made slower until it was mended). So the store gathers them

* after every roster import that wrote something (`after_import`, from `roster.importer`):
  bulk writes change the tables' shape the most — on SQLite and on PostgreSQL, whose autovacuum
  would get there later on its own;
* every night on SQLite (`nightly`, the scheduler's `planner-upkeep` job, after the retention
  purge has deleted what it deletes); on PostgreSQL autovacuum's analyse does this.

SQLite's documentation recommends `PRAGMA optimize` (with `PRAGMA analysis_limit` bounding its
cost), and `PRAGMA optimize=0x10002` on opening a long-lived connection. Both need SQLite 3.46 to
look at every table; before that, `PRAGMA optimize` only analyses tables the same connection has
queried, which a job's fresh connection has not (this Python bundles 3.40). So the store runs
`ANALYZE` itself, bounded by `analysis_limit`: each index is sampled, not read through, which keeps
the run short at any size and the estimates close enough for choosing between indexes.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from models.store import is_postgres

log = logging.getLogger("ustaz.upkeep")

# Rows SQLite reads per index when analysing (`PRAGMA analysis_limit`); SQLite's documentation
# suggests a few hundred to a thousand.
ANALYSIS_LIMIT = 1000
UPKEEP_JOB = "planner-upkeep"

_STATEMENTS = {
    "sqlite": (f"PRAGMA analysis_limit={ANALYSIS_LIMIT}", "ANALYZE"),
    "postgresql": ("ANALYZE",),
}


def gather_statistics(engine: Engine) -> None:
    """Refresh the planner's statistics of every table; connections opened afterwards plan with
    them (SQLite reads them as it loads the schema)."""
    started = time.perf_counter()
    with engine.connect() as connection:
        for statement in _STATEMENTS[engine.dialect.name]:
            connection.exec_driver_sql(statement)
        connection.commit()
    log.info("planner statistics gathered in %.0f ms", 1000 * (time.perf_counter() - started))


def after_import(engine: Engine) -> None:
    """After a roster import has committed: a failure here is logged, not raised, so an import that
    was written is never reported as failed (the night's run tries again)."""
    try:
        gather_statistics(engine)
    except DBAPIError:
        log.warning("planner statistics not gathered after the import", exc_info=True)


def nightly(engine: Engine) -> None:
    """The nightly run: SQLite only (PostgreSQL's autovacuum analyses tables as they change)."""
    if not is_postgres(engine):
        gather_statistics(engine)
