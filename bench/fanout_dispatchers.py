"""Fan-out across three dispatcher processes on PostgreSQL, one of them killed with SIGKILL mid-run.

Each of N recipients (100,000; `--quick` 10,000) has one due broadcast row. Three processes,
`ustaz run --role dispatcher` each, deliver them through the real Telegram sender (aiogram) to the
Telegram emulator running here, its limits lifted and the dispatchers' own pacing lifted too (as in
`bench.outbox_fanout`'s lifted run). When about a third has arrived, one dispatcher is killed with
SIGKILL. The other two carry on; the rows the dead one left "sending" are given back once the
outbox lease has passed (OUTBOX_LEASE_SECONDS: 10 s here, 300 s by default; the survivors look
every half lease) and sent by them.

Figures: throughput in messages/s (all N over the first to the last message; before and after the
kill); how long the killed dispatcher's rows took to come back and to be delivered; lost messages
and repeats, counted per chat by the emulator. Speed is only printed; the run exits 1 when a message
is lost, when there are more repeats than the killed dispatcher's in-flight limit, or when a message
is repeated that the killed dispatcher had not left "sending".

Needs PostgreSQL (several processes share one outbox):
USTAZ_BENCH_DATABASE_URL=postgresql+psycopg://user:password@host/db. Without it, says so and exits 0.

    uv run --frozen python -m bench.fanout_dispatchers            # 100,000 recipients (~9 min)
    uv run --frozen python -m bench.fanout_dispatchers --quick    # 10,000
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, func, select, text
from sqlmodel import Session, col

from bench.common import DATABASE_ENV, machine, scratch_database, temporary_folder
from models import ChannelIdentity, DeliveryAttempt, Notification
from models.migrate import upgrade
from models.store import make_engine
from outbox.claim import INTERRUPTED
from sandbox.processes import start_ustaz, stop_all
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import ChatMessage, RateLimits, TelegramEmulator
from scheduler.dispatcher import Dispatcher

ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAT = 800_000
DISPATCHERS = 3
KILL_AT = 0.35  # share of the messages delivered before the kill
POLL = 0.25
STARTUP_TIMEOUT = 300.0
IN_FLIGHT = int(inspect.signature(Dispatcher).parameters["in_flight"].default)
UNFINISHED = ("pending", "sending")


# -- the store ----------------------------------------------------------------------------------


def scalar(engine: Engine, statement: Select[Any]) -> int:
    with Session(engine) as session:
        return int(session.execute(statement).scalar_one())


def unfinished(engine: Engine, ids: list[int] | None = None) -> int:
    """Rows still pending or sending (of `ids`, when given)."""
    statement = select(func.count()).select_from(Notification).where(col(Notification.status).in_(UNFINISHED))
    if ids is not None:
        statement = statement.where(col(Notification.id).in_(ids))
    return scalar(engine, statement)


def still_sending(engine: Engine, ids: list[int]) -> int:
    statement = (
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.id).in_(ids), col(Notification.status) == "sending")
    )
    return scalar(engine, statement)


def left_sending(engine: Engine, pid: int) -> list[int]:
    """Rows a dispatcher process holds "sending" (its worker id is host:pid:object)."""
    with Session(engine) as session:
        found = session.execute(
            select(col(Notification.id)).where(
                col(Notification.status) == "sending", col(Notification.claimed_by).like(f"%:{pid}:%")
            )
        ).scalars()
        return [int(i) for i in found if i is not None]


def chats_of(engine: Engine, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    with Session(engine) as session:
        found = session.execute(
            select(col(ChannelIdentity.chat_id))
            .join(Notification, col(Notification.person_id) == col(ChannelIdentity.person_id))
            .where(col(Notification.id).in_(ids))
        ).scalars()
        return {int(chat) for chat in found if chat is not None}


def workers(engine: Engine) -> int:
    """How many dispatchers have taken rows so far."""
    statement = select(func.count(func.distinct(Notification.claimed_by))).where(
        col(Notification.claimed_by).is_not(None)
    )
    return scalar(engine, statement)


def by_status(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(Notification.status), func.count()).group_by(col(Notification.status))
        )
        return Counter({str(status): int(n) for status, n in rows})


def sent_by(engine: Engine) -> Counter[str]:
    """Sent rows per dispatcher (the worker that claimed them last)."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(Notification.claimed_by), func.count())
            .where(col(Notification.status) == "sent")
            .group_by(col(Notification.claimed_by))
        )
        return Counter({str(worker): int(n) for worker, n in rows})


def interrupted(engine: Engine) -> int:
    statement = (
        select(func.count()).select_from(DeliveryAttempt).where(col(DeliveryAttempt.outcome) == INTERRUPTED)
    )
    return scalar(engine, statement)


def server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SHOW server_version")).scalar())


# -- the processes ------------------------------------------------------------------------------


def environment(db_url: str, folder: Path, telegram: TelegramEmulator, lease: float) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.api_url,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(folder / "data"),
        "HTTP_PORT": "0",
        "TELEGRAM_RATE_PER_SECOND": "1000000",  # the dispatchers' pacing lifted, as the emulator's
        "QUIET_HOURS_START": "00:00",  # no quiet hours, whatever the time of the run
        "QUIET_HOURS_END": "00:00",
        "OUTBOX_LEASE_SECONDS": str(lease),
        "LOG_LEVEL": "WARNING",
    }


def log_tails(logs: list[Path]) -> str:
    return "".join(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}" for log in logs)


# -- the run ------------------------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User and system CPU seconds a running process has used so far (Linux; 0 when unknown)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class Arrivals:
    """Messages the emulator recorded, per chat, and when."""

    def __init__(self) -> None:
        self.per_chat: Counter[int] = Counter()
        self.times: list[float] = []

    def observe(self, message: ChatMessage) -> None:
        self.per_chat[message.chat_id] += 1
        self.times.append(time.monotonic())

    @property
    def total(self) -> int:
        return len(self.times)


@dataclass
class Recovery:
    """The killed dispatcher's rows left "sending", and when they came back and went out."""

    ids: list[int]
    killed_at: float
    returned_at: float | None = None
    delivered_at: float | None = None

    async def follow(self, engine: Engine) -> None:
        while self.delivered_at is None:
            if self.returned_at is None and await asyncio.to_thread(still_sending, engine, self.ids) == 0:
                self.returned_at = time.monotonic()
            if self.returned_at is not None and await asyncio.to_thread(unfinished, engine, self.ids) == 0:
                self.delivered_at = time.monotonic()
            await asyncio.sleep(POLL)


@dataclass
class Run:
    recipients: int
    lease: float
    started: float = 0.0
    all_sending_at: float = 0.0
    at_all_sending: int = 0
    killed_at: float = 0.0
    at_kill: int = 0
    finished: float = 0.0
    victim_pid: int = 0
    recovery: Recovery | None = None
    arrivals: Arrivals = field(default_factory=Arrivals)
    statuses: Counter[str] = field(default_factory=Counter)
    per_worker: Counter[str] = field(default_factory=Counter)
    interrupted: int = 0
    cpu_here: float = 0.0
    cpu_dispatchers: float = 0.0
    cpu_startup: float = 0.0
    stranded_chats: set[int] = field(default_factory=set)


async def until(
    check: Callable[[], bool], timeout: float, what: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Wait for `check`; fail when it takes too long or a dispatcher that should run has exited."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a dispatcher exited while waiting for {what}")
        await asyncio.sleep(0.05)


async def drained(engine: Engine, timeout: float, processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until no row is pending or sending."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(unfinished, engine) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for the outbox to drain")
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a surviving dispatcher exited")
        await asyncio.sleep(POLL)


async def all_sending(engine: Engine, run: Run, processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every dispatcher has taken rows (the processes take a while to start)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while await asyncio.to_thread(workers, engine) < len(processes):
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for every dispatcher to send")
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a dispatcher exited while starting")
        await asyncio.sleep(POLL)
    run.all_sending_at = time.monotonic()
    run.at_all_sending = run.arrivals.total
    run.cpu_startup = sum(process_cpu(p.pid) for p in processes)


async def kill(engine: Engine, run: Run, victim: subprocess.Popen[bytes]) -> Recovery:
    """SIGKILL `victim`; the rows it leaves "sending", followed until they are delivered."""
    victim.send_signal(signal.SIGKILL)
    run.killed_at = time.monotonic()
    run.at_kill = run.arrivals.total
    await asyncio.to_thread(victim.wait, 10)
    return Recovery(await asyncio.to_thread(left_sending, engine, victim.pid), run.killed_at)


async def fan_out(engine: Engine, db_url: str, folder: Path, run: Run) -> None:
    """Start the dispatchers, kill one mid-run, wait for the others to deliver the rest."""
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        for i in range(run.recipients):
            telegram.add_user(FIRST_CHAT + i, f"G{i}", language_code="kk")
        telegram.on_bot_message.append(run.arrivals.observe)
        env = environment(db_url, folder, telegram, run.lease)
        logs = [folder / f"dispatcher{n + 1}.log" for n in range(DISPATCHERS)]
        here = cpu_seconds(resource.RUSAGE_SELF)
        run.started = time.monotonic()
        processes = [start_ustaz(env, log, "dispatcher") for log in logs]
        victim, survivors = processes[0], processes[1:]
        run.victim_pid = victim.pid
        timeout = max(600.0, run.recipients / 20)
        follower: asyncio.Task[None] | None = None
        try:
            await all_sending(engine, run, processes)
            await until(lambda: run.arrivals.total >= run.recipients * KILL_AT, timeout, "sends", processes)
            run.recovery = await kill(engine, run, victim)
            follower = asyncio.create_task(run.recovery.follow(engine))
            await drained(engine, timeout, survivors)
            await asyncio.wait_for(follower, timeout=run.lease * 2 + 10)
            run.finished = time.monotonic()
            await asyncio.sleep(1.0)  # nothing more may arrive
        except (TimeoutError, RuntimeError) as error:
            raise SystemExit(f"{error}\n{log_tails(logs)}") from None
        finally:
            if follower is not None:
                follower.cancel()
            stop_all(processes)
        run.cpu_here = cpu_seconds(resource.RUSAGE_SELF) - here
        run.cpu_dispatchers = cpu_seconds(resource.RUSAGE_CHILDREN)
        run.stranded_chats = chats_of(engine, run.recovery.ids)
    run.statuses = by_status(engine)
    run.per_worker = sent_by(engine)
    run.interrupted = interrupted(engine)


# -- the report ---------------------------------------------------------------------------------


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")


def print_speed(run: Run) -> None:
    arrivals = run.arrivals
    first, last = min(arrivals.times), max(arrivals.times)
    overall = rate(run.recipients, last - first)
    before = rate(run.at_kill - run.at_all_sending, run.killed_at - run.all_sending_at)
    after = rate(arrivals.total - run.at_kill, last - run.killed_at)
    sending = run.cpu_dispatchers - run.cpu_startup
    print(f"\n[{DISPATCHERS} dispatcher processes, one killed with SIGKILL] {run.recipients} recipients")
    print(f"  throughput                {overall:8.1f} msgs/s (first to last message, {last - first:.1f} s)")
    print(f"  before the kill           {before:8.1f} msgs/s ({DISPATCHERS} dispatchers, all sending)")
    print(f"  after the kill            {after:8.1f} msgs/s ({DISPATCHERS - 1} dispatchers)")
    print(
        f"  start-up                  {first - run.started:8.1f} s to the first message, "
        f"{run.all_sending_at - run.started:.1f} s to all {DISPATCHERS} sending"
    )
    print(f"  wall time                 {run.finished - run.started:8.1f} s (from starting the processes)")
    print(
        f"  CPU                       {sending / arrivals.total * 1000:8.2f} ms per message in the "
        f"dispatchers ({sending:.0f} s after start-up), {run.cpu_here:.0f} s in the emulator"
    )


def print_recovery(run: Run) -> None:
    recovery = run.recovery
    assert recovery is not None
    print(f"  killed after              {run.at_kill:8d} messages ({run.at_kill / run.recipients:.0%})")
    print(f"  left sending by it        {len(recovery.ids):8d} rows")
    if recovery.returned_at is not None and recovery.delivered_at is not None:
        print(
            f"  recovery                  {recovery.returned_at - run.killed_at:8.1f} s to pending, "
            f"{recovery.delivered_at - run.killed_at:.1f} s to sent (lease {run.lease:g} s)"
        )
    for worker, n in sorted(run.per_worker.items()):
        pid = worker.split(":")[1] if worker.count(":") >= 2 else worker
        killed = " (the killed one)" if pid == str(run.victim_pid) else ""
        print(f"  sent by process {pid:>9} {n:8d} rows{killed}")
    print(f"  rows by status            {dict(sorted(run.statuses.items()))}")
    print(f"  attempts interrupted      {run.interrupted:8d}")


def print_correctness(run: Run) -> bool:
    """True when nothing was lost and the repeats are within the bound."""
    per_chat = run.arrivals.per_chat
    lost = sum(1 for chat in range(FIRST_CHAT, FIRST_CHAT + run.recipients) if per_chat[chat] == 0)
    repeats = sum(n - 1 for n in per_chat.values() if n > 1)
    stray = sorted(c for c, n in per_chat.items() if n > 1 and c not in run.stranded_chats)
    unsent = sum(n for status, n in run.statuses.items() if status != "sent")
    print(f"  lost: {lost}")
    print(f"  repeats: {repeats} (killed dispatcher's in-flight limit: {IN_FLIGHT})")
    if stray:
        print(f"  repeated chats the killed dispatcher had not left sending: {stray[:20]}")
    if unsent:
        print(f"  rows not sent: {unsent}")
    return lost == 0 and unsent == 0 and repeats <= IN_FLIGHT and not stray


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.fanout_dispatchers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 recipients")
    parser.add_argument("--recipients", type=int, help="recipients (default 100,000)")
    parser.add_argument("--lease", type=float, default=10.0, help="OUTBOX_LEASE_SECONDS (default 10)")
    args = parser.parse_args()
    if not os.environ.get(DATABASE_ENV, "").startswith("postgresql"):
        print(f"bench.fanout_dispatchers: needs PostgreSQL ({DATABASE_ENV}); skipped")
        return
    run = Run(args.recipients or (10_000 if args.quick else 100_000), args.lease)
    print("bench.fanout_dispatchers:", "quick run" if args.quick else "full run", f"({run.recipients})")
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        print(f"machine: {machine()}; PostgreSQL {server_version(engine)}")
        seed_broadcast(engine, run.recipients, first_chat=FIRST_CHAT)
        asyncio.run(fan_out(engine, db_url, folder, run))
        engine.dispose()
    print_speed(run)
    print_recovery(run)
    if not print_correctness(run):
        sys.exit(1)


if __name__ == "__main__":
    main()
