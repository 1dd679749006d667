"""What a second dispatcher process adds on PostgreSQL: one against two `ustaz run --role dispatcher`
processes, alternating, each run on a fresh database with N due broadcast rows (4,000; `--quick`
2,000), delivered through the real Telegram sender to the Telegram emulator with its limits and the
dispatchers' pacing lifted (as in `bench.fanout_dispatchers`).

The load generator is kept off the dispatchers' cores: the emulator runs in this process, pinned to
the last CPU (`os.sched_setaffinity`), and the dispatcher processes to the others. On a machine
with two CPUs that leaves the dispatchers ONE core between them, so a second process can only add
what the first leaves idle while it waits for PostgreSQL or the emulator. PostgreSQL's own processes
are not pinned (a system service; other work on the machine uses them too). With `--spread` the
dispatchers are not pinned at all (they share every core with the emulator), to show the other way
of cutting a two-core machine.

Figures per run: messages/s from the moment every dispatcher has sent its first message to the last
message, CPU seconds the dispatchers used per message and the share of their cores they kept busy,
and the emulator's CPU; then the medians and what the second process added (target: >= 60 % of one
process's rate). Exits 1 when a message is lost or a row is left unsent.

Needs PostgreSQL: USTAZ_BENCH_DATABASE_URL=postgresql+psycopg://user:password@host/db. Without it,
says so and exits 0.

    uv run --frozen python -m bench.dispatcher_scaling            # 4,000 recipients, 3 rounds
    uv run --frozen python -m bench.dispatcher_scaling --quick    # 2,000 recipients, 3 rounds
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bench.common import DATABASE_ENV, machine, scratch_database, temporary_folder
from bench.fanout_dispatchers import (
    Arrivals,
    cpu_seconds,
    environment,
    log_tails,
    process_cpu,
    server_version,
    unfinished,
    workers,
)
from models.migrate import upgrade
from models.store import make_engine
from sandbox.processes import start_ustaz, stop_all
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import RateLimits, TelegramEmulator

FIRST_CHAT = 900_000
POLL = 0.1
TIMEOUT = 600.0


@dataclass(frozen=True)
class Cores:
    """Which CPUs the emulator and the dispatchers run on (None: not pinned)."""

    emulator: set[int] | None
    dispatchers: set[int] | None

    @staticmethod
    def choose(spread: bool) -> Cores:
        cpus = sorted(os.sched_getaffinity(0))
        if spread or len(cpus) < 2:
            return Cores(None, None)
        return Cores({cpus[-1]}, set(cpus[:-1]))

    def describe(self) -> str:
        if self.emulator is None or self.dispatchers is None:
            return "nothing pinned: the emulator and the dispatchers share every core"
        return f"emulator on CPU {sorted(self.emulator)}, dispatchers on CPU {sorted(self.dispatchers)}"


@dataclass(frozen=True)
class Result:
    processes: int
    rate: float  # messages/s once every dispatcher sends
    cpu_per_message: float  # dispatchers' CPU seconds per message over that span
    busy: float  # the dispatchers' CPU seconds over the span ÷ its length (cores kept busy)
    emulator_cpu: float  # this process's CPU seconds per message (the emulator)
    lost: int
    unsent: int


async def until_sending(engine: Engine, count: int, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while await asyncio.to_thread(workers, engine) < count:
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError("a dispatcher did not start sending")
        await asyncio.sleep(POLL)


async def one_run(db_url: str, folder: Path, recipients: int, count: int, cores: Cores) -> Result:
    """`count` dispatcher processes deliver `recipients` rows; the rate once all of them send."""
    engine = make_engine(db_url)
    upgrade(engine)
    seed_broadcast(engine, recipients, first_chat=FIRST_CHAT)
    arrivals = Arrivals()
    everywhere = os.sched_getaffinity(0)
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        for i in range(recipients):
            telegram.add_user(FIRST_CHAT + i, f"G{i}", language_code="kk")
        telegram.on_bot_message.append(arrivals.observe)
        env = environment(db_url, folder, telegram, lease=10.0)
        logs = [folder / f"scaling{count}-{n + 1}.log" for n in range(count)]
        processes = [start_ustaz(env, log, "dispatcher") for log in logs]
        try:
            if cores.dispatchers is not None and cores.emulator is not None:
                for process in processes:
                    os.sched_setaffinity(process.pid, cores.dispatchers)
                os.sched_setaffinity(0, cores.emulator)
            await until_sending(engine, count, processes)
            started, at_start = time.monotonic(), arrivals.total
            cpu_start = sum(process_cpu(p.pid) for p in processes)
            here_start = cpu_seconds(resource.RUSAGE_SELF)
            deadline = started + TIMEOUT
            while await asyncio.to_thread(unfinished, engine) > 0:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise RuntimeError(f"the outbox did not drain\n{log_tails(logs)}")
                await asyncio.sleep(POLL)
            cpu_used = sum(process_cpu(p.pid) for p in processes) - cpu_start
            here_used = cpu_seconds(resource.RUSAGE_SELF) - here_start
            await asyncio.sleep(0.5)  # nothing more may arrive
        finally:
            stop_all(processes)
            os.sched_setaffinity(0, everywhere)
    last = max(arrivals.times)
    span = last - started
    sent = arrivals.total - at_start
    per_chat = arrivals.per_chat
    lost = sum(1 for chat in range(FIRST_CHAT, FIRST_CHAT + recipients) if per_chat[chat] == 0)
    unsent = await asyncio.to_thread(unfinished, engine)
    engine.dispose()
    return Result(
        count, sent / span, cpu_used / max(sent, 1), cpu_used / span, here_used / max(sent, 1), lost, unsent
    )


def report(results: list[Result], cores: Cores) -> bool:
    for result in results:
        print(
            f"  {result.processes} process{'es' if result.processes > 1 else '  '}  "
            f"{result.rate:7.0f} msgs/s   dispatchers {result.cpu_per_message * 1000:5.2f} ms CPU a message, "
            f"{result.busy:4.2f} cores busy; emulator {result.emulator_cpu * 1000:5.2f} ms a message"
        )
    one = statistics.median(r.rate for r in results if r.processes == 1)
    two = statistics.median(r.rate for r in results if r.processes == 2)
    print(f"\n  medians: one process {one:.0f} msgs/s, two {two:.0f} msgs/s")
    print(f"  the second process adds {(two - one) / one:+.0%} of one process's rate   (target >= +60 %)")
    print(f"  cores: {cores.describe()}")
    failed = [r for r in results if r.lost or r.unsent]
    for r in failed:
        print(f"  {r.processes} processes: {r.lost} lost, {r.unsent} rows not sent")
    return not failed


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.dispatcher_scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 recipients")
    parser.add_argument("--recipients", type=int, help="recipients in every run (default 4,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of one and two processes (default 3)")
    parser.add_argument("--spread", action="store_true", help="pin nothing")
    args = parser.parse_args()
    if not os.environ.get(DATABASE_ENV, "").startswith("postgresql"):
        print(f"bench.dispatcher_scaling: needs PostgreSQL ({DATABASE_ENV}); skipped")
        return
    recipients = args.recipients or (2_000 if args.quick else 4_000)
    cores = Cores.choose(args.spread)
    results: list[Result] = []
    with temporary_folder() as folder:
        for _ in range(args.rounds):
            for count in (1, 2):
                with scratch_database(folder) as db_url:
                    results.append(asyncio.run(one_run(db_url, folder, recipients, count, cores)))
        with scratch_database(folder) as db_url:
            engine = make_engine(db_url)
            version = server_version(engine)
            engine.dispose()
    print(f"bench.dispatcher_scaling: {recipients} recipients, 1 and 2 dispatcher processes, alternating")
    print(f"machine: {machine()}; PostgreSQL {version}\n")
    if not report(results, cores):
        sys.exit(1)


if __name__ == "__main__":
    main()
