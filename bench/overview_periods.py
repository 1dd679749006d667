"""The overview's figures and who needs attention, for every period a reader may choose (the current
quarter, the first half-year, the whole year, and dates: the current month so far), in the worlds of
`bench.dashboard_pages` (a district of 100 schools × 40 pupils read by its district coordinator; one
school of 4,000 and one of 12,000 read by its coordinator), as the read model gives them
(`monitoring.overview.overview`, `monitoring.attention.attention`: the page's database work, less
the HTML).

The store is built in bulk and then gets the planner upkeep a real store gets after its import
(`models.upkeep.gather_statistics`). On SQLite the same code also reads the same store with its
statistics hidden (the rows of `sqlite_stat1` taken out for that reading and put back), the column
"after, no statistics": what the store was like before it had upkeep. With `--before PATH` the same
readings are also done by the code at PATH (say a checkout of main) on the same database, with
statistics and without ("before, no statistics": main's code on main's store). Each reading runs
in a process of its own started afresh per round, the contenders alternating round by round so the
machine's drift falls on all alike; beside the time on the clock, each reading's CPU time (the
process's, which the load of a shared machine moves less; on PostgreSQL the server's share is not in
it). With `--own-schema` (SQLite, with `--before`) each checkout reads the store at its own schema:
the store is made by the migrations of the code at PATH, written and given its upkeep, and a copy of
it is brought to this code's migrations (and upkeep): the same rows, the indexes each code has
(migration 0021_speed's, say).

Targets (issue 21): ≤ 300 ms for the district and for one school of 4,000, ≤ 500 ms for one school
of 12,000 — for every period.

    uv run --frozen python -m bench.overview_periods [--quick] [--before ../main] [--worlds district,4000]
        [--own-schema]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bench.common import engine_name, machine, scratch_database, side_by_side_options, temporary_folder
from bench.dashboard_pages import QUICK, SHAPES, Shape
from models.migrate import upgrade
from models.store import is_postgres, make_engine
from models.upkeep import gather_statistics
from sandbox.term import fill_term
from sandbox.world import build_district

HERE = Path(__file__).resolve().parent.parent
PAGES = ("overview", "attention", "attention: missing work")
READ = """
import json, sys, time
from datetime import date
from zoneinfo import ZoneInfo
from sqlmodel import Session
import monitoring
from models.clock import utcnow
from models.store import make_engine
from monitoring import periods
from monitoring.attention import attention
from monitoring.figures import Reading
from monitoring.overview import overview
url, reader = sys.argv[1], int(sys.argv[2])
engine = make_engine(url)
zone = ZoneInfo("Asia/Almaty")
now = utcnow()
today = now.astimezone(zone).date()
year = periods.first_year_of(today)
chosen = {
    "quarter": periods.current_quarter(today),
    "half-year": periods.half(year, 1),
    "year": periods.whole_year(year),
    "dates": periods.dates(today.replace(day=1), today),
}
pages = {
    "overview": lambda s, r: overview(s, r),
    "attention": lambda s, r: attention(s, r, page=1, size=20),
    "attention: missing work": lambda s, r: attention(s, r, need="missing", page=1, size=20),
}
took = {}
for period_name, period in chosen.items():
    for page_name, read in pages.items():
        for warm in (True, False):  # the first reading warms the statement cache and the pages
            started, cpu = time.perf_counter(), time.process_time()
            with Session(engine) as session:
                scope = monitoring.scope_of(session, reader)
                read(session, Reading(scope, period, zone, now, "kk"))
            if not warm:
                took[f"{period_name}|{page_name}"] = 1000 * (time.perf_counter() - started)
                took[f"{period_name}|{page_name}|cpu"] = 1000 * (time.process_time() - cpu)
print(json.dumps(took))
"""


def read_once(tree: Path, db_url: str, reader: int, folder: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", READ, db_url, str(reader)],
        env={**os.environ, "PYTHONPATH": str(tree), "LOG_LEVEL": "WARNING"},
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def statistics_hidden(db_url: str, hide: bool) -> Iterator[None]:
    """While open (when `hide`), the SQLite store at `db_url` has no planner statistics: the rows of
    `sqlite_stat1` are taken out, and put back on leaving. A connection reads them as it opens, so a
    reading in a fresh process plans as on a store that never had upkeep."""
    if not hide:
        yield
        return
    store = sqlite3.connect(db_url.split("///", 1)[-1])
    try:
        with store:
            rows = store.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()
            store.execute("DELETE FROM sqlite_stat1")
        yield
    finally:
        with store:
            store.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", rows)
        store.close()


MIGRATE = "import sys; from models.migrate import upgrade; from models.store import make_engine; "
MIGRATE += "upgrade(make_engine(sys.argv[1]))"


def migrate(tree: Path, db_url: str) -> None:
    """The store at `db_url` brought to the migrations of the code at `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree), "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-c", MIGRATE, db_url], env=env, check=True)


def own_schema_copy(db_url: str, folder: Path) -> str:
    """A copy of the SQLite store at `db_url` brought to this code's migrations, with its upkeep."""
    copy = folder / "after.db"
    with sqlite3.connect(db_url.split("///", 1)[-1]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    upgrade(engine)
    gather_statistics(engine)
    engine.dispose()
    return url


def measure(
    shape: Shape, rounds: int, before: Path | None, hide: bool = True, own_schema: bool = False
) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        own_schema = own_schema and before is not None and not is_postgres(engine)
        if own_schema and before is not None:
            migrate(before, db_url)
        else:
            upgrade(engine)
        started = time.perf_counter()
        world = build_district(engine, shape.schools, shape.pupils)
        fill_term(engine, date.today())
        gather_statistics(engine)
        hidable = hide and not is_postgres(engine)
        engine.dispose()
        urls = {HERE: own_schema_copy(db_url, folder) if own_schema else db_url}
        reader = world.district if shape.schools > 1 else world.coordinators[0]
        print(
            f"\n{shape.name} ({engine_name(db_url)}): {world.pupils:,} pupils, written in "
            f"{time.perf_counter() - started:.0f} s"
            + (", each checkout at its own schema" if own_schema else ""),
            flush=True,
        )
        trees = {"after": HERE, **({"before": before} if before is not None else {})}
        contenders = [(name, tree, False) for name, tree in trees.items()]
        contenders += [(f"{name}, no statistics", tree, True) for name, tree in trees.items() if hidable]
        took: dict[str, dict[str, list[float]]] = {name: {} for name, _tree, _hidden in contenders}
        for _ in range(rounds):
            for name, tree, hidden in contenders:
                url = urls.get(tree, db_url)
                with statistics_hidden(url, hidden):
                    read = read_once(tree, url, reader, folder)
                for key, ms in read.items():
                    took[name].setdefault(key, []).append(ms)
        others = [name for name in took if name != "after"]
        header = f"  {'period':10s} {'page':24s} {'median ms':>10s} {'max ms':>8s} {'CPU ms':>7s}"
        print(header + "".join(f" {name + ': median, CPU':>32s}" for name in others))
        for key, values in took["after"].items():
            if key.endswith("|cpu"):
                continue
            period, page = key.split("|")
            median, cpu = statistics.median(values), statistics.median(took["after"][key + "|cpu"])
            line = f"  {period:10s} {page:24s} {median:10.0f} {max(values):8.0f} {cpu:7.0f}"
            for name in others:
                theirs = statistics.median(took[name][key]), statistics.median(took[name][key + "|cpu"])
                line += f" {theirs[0]:24.0f}, {theirs[1]:6.0f}"
            print(
                line + ("" if median <= shape.target_ms else f"   over the {shape.target_ms:.0f} ms target")
            )
        sys.stdout.flush()


def _worlds(options: argparse.ArgumentParser) -> None:
    options.add_argument(
        "--worlds",
        default="",
        help="only the worlds whose name (less its commas) holds one of these, comma-separated: "
        "'district,4000' runs the district and the school of 4,000",
    )
    options.add_argument(
        "--own-schema",
        action="store_true",
        help="with --before, on SQLite: each checkout reads the store at its own migrations",
    )
    options.add_argument(
        "--with-statistics-only",
        action="store_true",
        help="leave out the readings with the planner statistics hidden (half the time)",
    )


def main() -> None:
    args = side_by_side_options(__doc__, _worlds)
    print(f"The overview and who needs attention, per period, on {machine()}", flush=True)
    rounds = args.rounds or (2 if args.quick else 5)
    wanted = [part.strip() for part in args.worlds.split(",") if part.strip()]
    for shape in QUICK if args.quick else SHAPES:
        if not wanted or any(part in shape.name.replace(",", "") for part in wanted):
            before = args.before.resolve() if args.before else None
            measure(shape, rounds, before, hide=not args.with_statistics_only, own_schema=args.own_schema)


if __name__ == "__main__":
    main()
