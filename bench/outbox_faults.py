"""The PostgreSQL deployment under faults: 3 dispatcher processes and 2 schedulers, `ustaz run --role
…` each, deliver 10,000 messages through the real Telegram sender to the Telegram emulator, which
holds Telegram's limits (30/s per bot, 1/s per private chat; `RateLimits()`), while faults are
injected. 8,000 chats get one message and 1,000 get two, so the chats' own limit is exercised too.

Faults, each when a share of the messages has arrived (a killed or stopped process is started
again 2 s later, as systemd's `Restart=always` would):

* 15 % SIGKILL a dispatcher (its sends in flight are repeated once the lease, 10 s here, has passed);
* 35 % SIGKILL the scheduler leader (the standby takes over);
* 55 % SIGTERM a dispatcher (it drains: nothing may stay "sending" after it exits);
* 75 % restart PostgreSQL (`--restart-postgres "pg_ctlcluster 15 main restart"`; without the option
  this fault is left out, as it stops every other user of that server for a few seconds).

Figures and targets: 0 lost; repeats at most the in-flight limit (16) per fault; the rate over the
run (first to last message) at least 95 % of 30/s; never more than 30 messages in any second nor two
in a second to one chat beyond the emulator's burst; never two scheduler leaders at once, checked
from the schedulers' logs (intervals between "leading" and its end) and from `pg_locks` sampled every
0.2 s. The run exits 1 when a target is missed.

Needs PostgreSQL (USTAZ_BENCH_DATABASE_URL=postgresql+psycopg://user:password@host/db); without it,
says so and exits 0.

    uv run --frozen python -m bench.outbox_faults --restart-postgres "pg_ctlcluster 15 main restart"
    uv run --frozen python -m bench.outbox_faults --quick      # 3,000 messages, no restart of PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, func, insert, select
from sqlmodel import Session, col

from bench.common import DATABASE_ENV, machine, scratch_database, temporary_folder
from models import DeliveryAttempt, Notification
from models.clock import utcnow
from models.migrate import upgrade
from models.store import make_engine
from sandbox.processes import start_ustaz, stop_all
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import ChatMessage, RateLimits, TelegramEmulator
from scheduler.dispatcher import Dispatcher
from scheduler.leadership import leader_sessions

ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAT = 900_000
CEILING = 30.0
IN_FLIGHT = int(inspect.signature(Dispatcher).parameters["in_flight"].default)
LEASE = 10.0
RESTART_AFTER = 2.0
FAULTS = (
    (0.15, "sigkill-dispatcher"),
    (0.35, "sigkill-leader"),
    (0.55, "sigterm-dispatcher"),
    (0.75, "restart-postgres"),
)
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


# -- the store ----------------------------------------------------------------------------------


def seed(engine: Engine, chats: int, twice: int) -> dict[int, int]:
    """One message to each chat, a second one to the first `twice`; the expected count per chat."""
    seed_broadcast(engine, chats, first_chat=FIRST_CHAT)
    with Session(engine) as session, session.begin():
        first = session.execute(
            select(col(Notification.person_id), col(Notification.key), col(Notification.params))
            .order_by(col(Notification.id))
            .limit(twice)
        ).all()
        session.execute(
            insert(Notification),
            [
                {
                    "idempotency_key": f"second:{person_id}:",
                    "person_id": person_id,
                    "kind": "broadcast",
                    "key": key,
                    "params": params,
                    "status": "pending",
                    "due_at": utcnow(),
                    "attempts": 0,
                    "urgent": False,
                    "created_at": utcnow(),
                }
                for person_id, key, params in first
            ],
        )
    return {FIRST_CHAT + i: 2 if i < twice else 1 for i in range(chats)}


def count_where(engine: Engine, *where: ColumnElement[bool]) -> int:
    with Session(engine) as session:
        statement = select(func.count()).select_from(Notification).where(*where)
        return int(session.execute(statement).scalar_one())


def attempts_by_outcome(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(DeliveryAttempt.outcome), func.count()).group_by(col(DeliveryAttempt.outcome))
        )
        return Counter({str(outcome): int(n) for outcome, n in rows})


def left_sending_by(engine: Engine, pid: int) -> int:
    return count_where(
        engine, col(Notification.status) == "sending", col(Notification.claimed_by).like(f"%:{pid}:%")
    )


# -- the processes ------------------------------------------------------------------------------


def environment(db_url: str, folder: Path, telegram: TelegramEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.api_url,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(folder / "data"),
        "HTTP_PORT": "0",
        "QUIET_HOURS_START": "00:00",  # no quiet hours, whatever the time of the run
        "QUIET_HOURS_END": "00:00",
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "SCHEDULER_STANDBY_POLL_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }


@dataclass
class Slot:
    """One unit's process, started again after a kill or a stop, each run with a log of its own."""

    role: str
    name: str
    env: dict[str, str]
    folder: Path
    runs: int = 0
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        self.runs += 1
        log = self.folder / f"{self.name}.{self.runs}.log"
        self.logs.append(log)
        self.process = start_ustaz(self.env, log, self.role)

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.process.pid


@dataclass
class Fault:
    name: str
    at_share: float
    started: float = 0.0
    arrived_before: int = 0
    note: str = ""


@dataclass
class Run:
    expected: dict[int, int]
    received: Counter[int] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    per_chat_times: dict[int, list[float]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    kills: dict[str, list[float]] = field(default_factory=dict)  # log file → moments it was killed
    lock_samples: int = 0
    lock_overlaps: int = 0
    lock_sessions: set[int] = field(default_factory=set)
    restarts: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.times)

    def observe(self, message: ChatMessage) -> None:
        now = time.monotonic()
        self.received[message.chat_id] += 1
        self.times.append(now)
        self.per_chat_times.setdefault(message.chat_id, []).append(now)


async def watch_the_lock(engine: Engine, run: Run, stop: asyncio.Event) -> None:
    """Sample `pg_locks` for the leader lock every 0.2 s (samples during the restart fail: skipped)."""
    while not stop.is_set():
        try:
            holders = await asyncio.to_thread(leader_sessions, engine)
        except Exception:
            holders = None
        if holders is not None:
            run.lock_samples += 1
            run.lock_overlaps += len(holders) > 1
            run.lock_sessions.update(holders)
        await asyncio.sleep(0.2)


async def restart_later(slot: Slot) -> None:
    await asyncio.sleep(RESTART_AFTER)
    slot.start()


def leader_slot(schedulers: list[Slot]) -> Slot:
    """The scheduler whose current log last said that it leads."""
    best: tuple[str, Slot] | None = None
    for slot in schedulers:
        lines = [
            line for line in slot.logs[-1].read_text(errors="replace").splitlines() if "leading (" in line
        ]
        if lines and (best is None or lines[-1] > best[0]):
            best = (lines[-1], slot)
    if best is None:
        raise RuntimeError("no scheduler leads")
    return best[1]


async def inject(
    fault: Fault, run: Run, engine: Engine, dispatchers: list[Slot], schedulers: list[Slot], restart: str
) -> None:
    fault.started = time.monotonic()
    fault.arrived_before = run.total
    if fault.name == "sigkill-dispatcher":
        victim = dispatchers[0]
        victim.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        await asyncio.to_thread(victim.process.wait, 10)  # type: ignore[union-attr]
        fault.note = f"{left_sending_by(engine, victim.pid)} rows left sending"
        run.restarts.append(asyncio.create_task(restart_later(victim)))
    elif fault.name == "sigkill-leader":
        leader = leader_slot(schedulers)
        leader.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        run.kills.setdefault(str(leader.logs[-1]), []).append(time.time())
        await asyncio.to_thread(leader.process.wait, 10)  # type: ignore[union-attr]
        fault.note = f"{leader.name} killed"
        run.restarts.append(asyncio.create_task(restart_later(leader)))
    elif fault.name == "sigterm-dispatcher":
        victim = dispatchers[1]
        victim.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        await asyncio.to_thread(victim.process.wait, 60)  # type: ignore[union-attr]
        exited = time.monotonic() - fault.started
        fault.note = f"exited in {exited:.1f} s, {left_sending_by(engine, victim.pid)} rows left sending"
        run.restarts.append(asyncio.create_task(restart_later(victim)))
    elif fault.name == "restart-postgres":
        done = await asyncio.to_thread(subprocess.run, shlex.split(restart), capture_output=True, check=False)
        fault.note = f"{restart!r} took {time.monotonic() - fault.started:.1f} s (exit {done.returncode})"


async def drive(engine: Engine, db_url: str, folder: Path, run: Run, restart: str | None) -> None:
    async with TelegramEmulator(rate_limits=RateLimits()) as telegram:
        for chat in run.expected:
            telegram.add_user(chat, f"G{chat}", language_code="kk")
        telegram.on_bot_message.append(run.observe)
        env = environment(db_url, folder, telegram)
        dispatchers = [Slot("dispatcher", f"dispatcher{n}", env, folder) for n in (1, 2, 3)]
        schedulers = [Slot("scheduler", f"scheduler{n}", env, folder) for n in (1, 2)]
        for slot in [*schedulers, *dispatchers]:
            slot.start()
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_the_lock(engine, run, stop))
        expected = sum(run.expected.values())
        faults = [Fault(name, share) for share, name in FAULTS if name != "restart-postgres" or restart]
        deadline = time.monotonic() + expected / CEILING * 2 + 300
        try:
            for fault in faults:
                while run.total < expected * fault.at_share:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{run.total} of {expected} arrived before {fault.name}")
                    await asyncio.sleep(0.05)
                await inject(fault, run, engine, dispatchers, schedulers, restart or "")
                run.faults.append(fault)
            while sum(min(run.received[c], n) for c, n in run.expected.items()) < expected:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{run.total} of {expected} arrived")
                await asyncio.sleep(0.25)
            await asyncio.sleep(LEASE + 2)  # late repeats would arrive by now
        finally:
            stop.set()
            await watcher
            await asyncio.gather(*run.restarts)
            stop_all([slot.process for slot in [*dispatchers, *schedulers] if slot.process is not None])
        logs = [log for slot in schedulers for log in slot.logs]
        print_leaders(run, logs)


# -- the report ---------------------------------------------------------------------------------


def log_moment(line: str) -> float | None:
    found = LOG_TIME.match(line)
    if found is None:
        return None
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def leading_intervals(log: Path, killed: list[float]) -> list[tuple[float, float]]:
    """When this scheduler run led: from "leading (" to its end (lost, stopped, or killed)."""
    intervals, began = [], None
    for line in log.read_text(errors="replace").splitlines():
        moment = log_moment(line)
        if moment is None:
            continue
        if "scheduler: leading (" in line:
            began = moment
        elif began is not None and ("lost the leader lock" in line or "stopped leading" in line):
            intervals.append((began, moment))
            began = None
    if began is not None:
        intervals.append((began, killed[0] if killed else float("inf")))
    return intervals


def print_leaders(run: Run, logs: list[Path]) -> None:
    intervals = sorted(i for log in logs for i in leading_intervals(log, run.kills.get(str(log), [])))
    overlaps = sum(1 for a, b in pairwise(intervals) if b[0] < a[1])
    handovers = [round(b[0] - a[1], 1) for a, b in pairwise(intervals)]
    standing = sum(log.read_text(errors="replace").count("standing by") for log in logs)
    print("\n[scheduler leaders]")
    print(f"  leaderships (from the logs)   {len(intervals)}; gaps between them {handovers} s")
    print(f"  overlaps in the logs          {overlaps}")
    print(f"  pg_locks samples              {run.lock_samples}, with two holders: {run.lock_overlaps}")
    print(f"  leader sessions seen          {len(run.lock_sessions)}")
    print(f"  'standing by' lines           {standing} (once per wait)")
    run.lock_overlaps += overlaps


def most_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def report(run: Run, engine: Engine) -> bool:
    expected = sum(run.expected.values())
    lost = sum(max(n - run.received[c], 0) for c, n in run.expected.items())
    repeats = sum(max(run.received[c] - n, 0) for c, n in run.expected.items())
    first, last = min(run.times), max(run.times)
    rate = expected / (last - first)
    outcomes = attempts_by_outcome(engine)
    print(f"\n[{expected} messages, 3 dispatchers, 2 schedulers, faults injected]")
    print(f"  rate over the run             {rate:6.1f} msgs/s ({rate / CEILING:.1%} of {CEILING:g}/s)")
    print(f"  first to last message         {last - first:6.1f} s")
    print(f"  most in any 1 s               {most_in_window(run.times, 1.0):6d} (emulator: 30/s, burst 30)")
    chat_peak = max(most_in_window(t, 1.0) for t in run.per_chat_times.values())
    print(f"  most in any 1 s, one chat     {chat_peak:6d}")
    print(f"  429 answers (throttled)       {outcomes.get('throttled', 0):6d}")
    print(f"  attempts by outcome           {dict(sorted(outcomes.items()))}")
    for fault in run.faults:
        print(f"  {fault.name:28s}  at {fault.arrived_before:5d} messages: {fault.note}")
    print(f"  lost                          {lost:6d}")
    print(f"  repeats                       {repeats:6d} (bound: {IN_FLIGHT} per fault)")
    unsent = count_where(engine, col(Notification.status) != "sent")
    print(f"  rows not sent                 {unsent:6d}")
    ok = (
        lost == 0
        and unsent == 0
        and repeats <= IN_FLIGHT * len(run.faults)
        and rate >= 0.95 * CEILING
        and run.lock_overlaps == 0
    )
    print("  targets                       " + ("met" if ok else "MISSED"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.outbox_faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 messages")
    parser.add_argument("--restart-postgres", metavar="COMMAND", help="the command that restarts the server")
    args = parser.parse_args()
    if not os.environ.get(DATABASE_ENV, "").startswith("postgresql"):
        print(f"bench.outbox_faults: needs PostgreSQL ({DATABASE_ENV}); skipped")
        return
    chats, twice = (2_700, 300) if args.quick else (9_000, 1_000)
    print("bench.outbox_faults:", "quick run" if args.quick else "full run", f"({chats + twice} messages)")
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        print(f"machine: {machine()}")
        run = Run(seed(engine, chats, twice))
        asyncio.run(drive(engine, db_url, folder, run, args.restart_postgres))
        ok = report(run, engine)
        engine.dispose()
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
