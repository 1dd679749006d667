"""Dashboard pages at district scale: the server time of every monitoring page, export and report, and
of an assistant teacher's `/status`, in three worlds written in bulk (`sandbox.world`) with a school
year so far in them (`sandbox.term`):

* a district of 100 schools of 40 pupils (4,000), read by its district coordinator;
* one school of 4,000 pupils, read by its coordinator;
* one school of 12,000 pupils, read by its coordinator.

Each page is served by the real dashboard (`bots.web.mount_web`) in a process of its own and asked
for over loopback by this one, one request at a time; a page's time is from the request to the last
byte. With `--before PATH` the same pages are also served, in another process, by the code at PATH
(say a checkout of main), and the two are asked alternately, page by page, so the machine's drift
falls on both alike (the code before for two rounds: its slowest pages take seconds); a page the
code before does not serve is left out of its column. `/status` is a turn through the handlers'
router, timed in a process of each. After building, the store gets the planner upkeep a real store
gets after its import (`models.upkeep.gather_statistics`); with `--no-statistics` a copy of the store
taken just before that upkeep is served too, by this code, as one more contender alternating with
the others ("no statistics": a store as it was before it had upkeep; SQLite). With `--kazpost`,
every class's Kazpost round is opened first (collection in two days, the first coordinator
responsible), so the delivery page lists the rounds with their items still to mark.

Targets (issue 21): every page and /status ≤ 300 ms for the district and for one school of 4,000,
≤ 500 ms for one school of 12,000; the programme report's PDF ≤ 2 s.

    uv run --frozen python -m bench.dashboard_pages [--quick] [--before ../main] [--no-statistics]
        [--kazpost] [--worlds district 12,000] [--pages export PDF delivery]

`--worlds` and `--pages` keep the worlds and the pages whose names hold one of the words given (in
any case; /status is timed whatever pages are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bench.common import engine_name, free_port, machine, scratch_database, temporary_folder
from models.clock import utcnow
from models.dashboard import DashboardSession
from models.migrate import upgrade
from models.postal import PostalSchedule
from models.school import GroupMember, SchoolClass
from models.store import make_engine, session_scope
from models.upkeep import gather_statistics
from sandbox.term import fill_term
from sandbox.world import build_district
from scheduler.postal import PostalOptions, open_round

HERE = Path(__file__).resolve().parent.parent
SESSION = "bench-dashboard-session"
SERVE = """
import sys
from pathlib import Path
from aiohttp import web
from bots.web import mount_web
from models.store import make_engine
from settings import load_settings
url, port, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
engine = make_engine(url)
app = web.Application()
mount_web(app, engine, load_settings(data_dir=folder, database_url=url), lambda: None)
web.run_app(app, host="127.0.0.1", port=port, print=None)
"""
STATUS = """
import json, sys, time
from pathlib import Path
from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound
from models.store import make_engine
from settings import load_settings
url, address, rounds, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
engine = make_engine(url)
config = Config.from_settings(load_settings(data_dir=folder, database_url=url))
inbound = Inbound(identity=Identity("telegram", address), chat=Chat(address), text="/status")
took = []
for _ in range(rounds + 1):
    started = time.perf_counter()
    replies = process(engine, inbound, config)
    took.append(time.perf_counter() - started)
print(json.dumps({"ms": [1000 * t for t in took[1:]], "replies": len(replies)}))
"""


@dataclass(frozen=True)
class Shape:
    name: str
    schools: int
    pupils: int  # per school
    target_ms: float


SHAPES = [
    Shape("district: 100 schools × 40 pupils", 100, 40, 300),
    Shape("one school of 4,000 pupils", 1, 4_000, 300),
    Shape("one school of 12,000 pupils", 1, 12_000, 500),
]
QUICK = [
    Shape("district: 10 schools × 40 pupils", 10, 40, 300),
    Shape("one school of 1,200 pupils", 1, 1_200, 300),
]


@dataclass
class Server:
    name: str
    tree: Path
    db_url: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    took: dict[str, list[float]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def env_for(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "LOG_LEVEL": "WARNING"}


def start(server: Server, folder: Path) -> None:
    server.port = free_port()
    server.process = subprocess.Popen(
        [sys.executable, "-c", SERVE, server.db_url, str(server.port), str(folder)],
        env=env_for(server.tree),
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(server: Server) -> None:
    if server.process is not None:
        server.process.terminate()
        server.process.wait(timeout=30)


async def ready(session: aiohttp.ClientSession, server: Server) -> None:
    for _ in range(600):
        try:
            async with session.get(server.url + "/dashboard/login") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the {server.name} dashboard did not start")


async def timed(session: aiohttp.ClientSession, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    async with session.get(url, allow_redirects=False) as response:
        body = await response.read()
    return time.perf_counter() - started, response.status, len(body)


def pages(reader_level: str, pupil: int, school: int) -> dict[str, str]:
    """Every page a reader of `reader_level` has (the routes of `bots.web`), by name."""
    found = {
        "overview": "/dashboard",
        "overview, year": "/dashboard?period=year",
        "attention: missing work": "/dashboard?need=missing",
        "attention: absences": "/dashboard?need=absent",
        "consent table": "/dashboard?table=consent",
        "consent table, searched": "/dashboard?table=consent&find=а",
        "attendance table": "/dashboard?table=attendance",
        "homework table": "/dashboard?table=homework",
        "grades table": "/dashboard?table=grades",
        "grades table, page 3": "/dashboard?table=grades&page=3",
        "Kazpost table": "/dashboard?table=postal",
        "threads table": "/dashboard?table=threads",
        "problems table": "/dashboard?table=problems",
        "delivery": "/dashboard/delivery",
        "delivery, searched": "/dashboard/delivery?find=а",
        "reports page": "/dashboard/reports",
        "invitations": "/dashboard/invites",
        "pupil page": f"/dashboard/pupil/{pupil}",
        "paper application form": f"/dashboard/pupil/{pupil}/paper",
        "consent export, XLSX": "/dashboard/export/consent.xlsx",
        "grades export, CSV": "/dashboard/export/grades.csv",
        "e-journal, CSV": "/dashboard/reports/journal.csv",
        "hours, XLSX": "/dashboard/reports/hours.xlsx",
        "pupil summary, PDF": f"/dashboard/pupil/{pupil}/summary.pdf",
        "programme report, PDF": "/dashboard/reports/programme.pdf",
    }
    if reader_level == "district":
        found["drill-down: one school"] = f"/dashboard?school={school}"
        found["drill-down: its delivery"] = f"/dashboard/delivery?school={school}"
    else:
        found["plan"] = "/dashboard/plan"  # a school coordinator's (a district reads only)
    return found


BEFORE_ROUNDS = 2  # its slowest pages take seconds


def copy_without_statistics(db_url: str, folder: Path) -> str:
    """A copy of the SQLite store at `db_url` as it is now (before its planner upkeep), for the
    contender "no statistics"; its address."""
    if not db_url.startswith("sqlite"):
        raise SystemExit("--no-statistics compares two SQLite stores: leave USTAZ_BENCH_DATABASE_URL unset")
    copy = folder / "no-statistics.db"
    with sqlite3.connect(db_url.split("///", 1)[-1]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def sign_in(db_url: str, person_id: int) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add(
            DashboardSession(
                session_hash=hashlib.sha256(SESSION.encode()).hexdigest(),
                person_id=person_id,
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=8),
            )
        )
    engine.dispose()


def status_ms(tree: Path, db_url: str, address: str, rounds: int, folder: Path) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", STATUS, db_url, address, str(rounds), str(folder)],
        env=env_for(tree),
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1])["ms"])


def kept(name: str, words: list[str]) -> bool:
    """Whether a world or page of this name is measured: every one when no words are given."""
    return not words or any(word.lower() in name.lower() for word in words)


def open_every_round(engine: Engine, folder: Path, teacher: int) -> int:
    """Each class's Kazpost round, opened now for a collection in two days; how many opened."""
    now = utcnow()
    options = PostalOptions(ZoneInfo("Asia/Almaty"), 2, folder / "postal")
    with session_scope(engine) as session:
        classes = session.execute(select(col(SchoolClass.id))).scalars().all()
        for class_id in classes:
            schedule = PostalSchedule(class_id=class_id, teacher_id=teacher, anchor=now.date())
            session.add(schedule)
            session.flush()
            open_round(session, schedule, now.date() + timedelta(days=2), now, options)
    return len(classes)


async def measure(
    shape: Shape,
    rounds: int,
    before: Path | None,
    unanalysed: bool = False,
    only: list[str] | None = None,
    kazpost: bool = False,
) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        started = time.perf_counter()
        world = build_district(engine, shape.schools, shape.pupils)
        built = time.perf_counter() - started
        fill_term(engine, date.today())
        opened = open_every_round(engine, folder, world.coordinators[0]) if kazpost else 0
        bare = copy_without_statistics(db_url, folder) if unanalysed else None
        gather_statistics(engine)  # what the store gets after its import (models.upkeep)
        filled = time.perf_counter() - started - built
        with Session(engine) as session:
            pupil = session.execute(select(col(GroupMember.pupil_id)).limit(1)).scalar_one()
        engine.dispose()
        reader = world.district if shape.schools > 1 else world.coordinators[0]
        for store in (db_url, bare):
            if store is not None:
                sign_in(store, reader)
        print(
            f"\n{shape.name} ({engine_name(db_url)}): {world.pupils:,} pupils; "
            f"roster written in {built:.1f} s, the year so far in {filled:.1f} s"
            + (f", {opened} Kazpost rounds opened" if kazpost else ""),
            flush=True,
        )
        servers = [Server("after", HERE, db_url)]
        if before is not None:
            servers.append(Server("before", before, db_url))
        if bare is not None:
            servers.append(Server("no statistics", HERE, bare))
        for server in servers:
            start(server, folder)
        level = "district" if shape.schools > 1 else "school"
        addresses = {
            name: path
            for name, path in pages(level, pupil, world.schools[0]).items()
            if kept(name, only or [])
        }
        try:
            cookies = {"ustaz_session": SESSION}
            async with aiohttp.ClientSession(
                cookies=cookies, timeout=aiohttp.ClientTimeout(total=600)
            ) as client:
                for server in servers:
                    await ready(client, server)
                for name, path in addresses.items():
                    for server in servers:
                        # warm: templates, statement cache; a page the code before has not is left out
                        _first, status, _size = await timed(client, server.url + path)
                        if status == 200:
                            server.took[name] = []
                        elif server.name == "after":
                            raise RuntimeError(f"{server.url + path}: {status}")
                for round_number in range(rounds):
                    for name, path in addresses.items():
                        for server in servers:
                            if name not in server.took or (
                                server.name == "before" and round_number >= BEFORE_ROUNDS
                            ):
                                continue
                            took, _status, _size = await timed(client, server.url + path)
                            server.took[name].append(1000 * took)
        finally:
            for server in servers:
                stop(server)
        header = f"  {'page':32s} {'median ms':>10s} {'max ms':>8s}"
        print(header + "".join(f" {other.name + ': median ms':>24s}" for other in servers[1:]))
        after = servers[0]
        for name in addresses:
            values = after.took[name]
            target = 2000.0 if name.startswith("programme") else shape.target_ms
            line = f"  {name:32s} {statistics.median(values):10.0f} {max(values):8.0f}"
            for other in servers[1:]:
                line += (
                    f" {statistics.median(other.took[name]):24.0f}" if name in other.took else f" {'—':>24s}"
                )
            print(
                line + ("" if statistics.median(values) <= target else f"   over the {target:.0f} ms target")
            )
        assistant, address = next(iter(world.assistants.items()))
        for server in servers:
            turns = status_ms(server.tree, server.db_url, address, rounds, folder)
            median, most = statistics.median(turns), max(turns)
            whose = f"/status of assistant {assistant} ({server.name})"
            print(f"  {whose}: median {median:.0f} ms, max {most:.0f} ms")
        sys.stdout.flush()


def main() -> None:
    options = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    options.add_argument("--quick", action="store_true", help="smaller worlds, fewer rounds")
    options.add_argument("--before", type=Path, help="a checkout of the code to compare with (say main)")
    options.add_argument("--rounds", type=int, default=0)
    options.add_argument(
        "--worlds", nargs="+", default=[], help="only the worlds whose names hold one of these"
    )
    options.add_argument(
        "--pages", nargs="+", default=[], help="only the pages whose names hold one of these"
    )
    options.add_argument(
        "--kazpost", action="store_true", help="open every class's Kazpost round before serving"
    )
    options.add_argument(
        "--no-statistics",
        action="store_true",
        help="also serve a copy of the store without planner statistics, side by side (SQLite)",
    )
    args = options.parse_args()
    print(f"Dashboard pages on {machine()}", flush=True)
    rounds = args.rounds or (3 if args.quick else 7)
    for shape in QUICK if args.quick else SHAPES:
        if not kept(shape.name, args.worlds):
            continue
        before = args.before.resolve() if args.before else None
        asyncio.run(
            measure(
                shape, rounds, before, unanalysed=args.no_statistics, only=args.pages, kazpost=args.kazpost
            )
        )


if __name__ == "__main__":
    main()
