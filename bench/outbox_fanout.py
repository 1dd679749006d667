"""Fan-out through the outbox: one message to each of N recipients, delivered by the real dispatcher
and the real Telegram sender (aiogram) to the Telegram emulator, on a scratch SQLite store.

1. Limited: the emulator holds Telegram's limits (30 messages/s overall, 1/s per private chat) and
   the dispatcher paces for them. Figures: achieved rate (target >= 95 % of 30/s), the most messages
   in any one second overall and in any chat, 429 answers, lost and duplicated messages (target 0).
2. Lifted: no limit in the emulator or the dispatcher. Figures: dispatcher throughput in messages/s
   through the emulator, and with a sender that answers at once (the dispatcher and the store alone);
   target >= 1,000/s on SQLite. The contender: a plain aiohttp loop posting the same messages to the
   same emulator, as many at once as the dispatcher's in-flight limit, with no store, no retries and
   no records (target: the dispatcher >= 0.5x its rate). They alternate, each in a process of its
   own on a fresh emulator, after a warm-up of 200 messages in that process (loading the catalogues,
   opening the connections); with `--before REV`, that revision's dispatcher runs beside them too.

    uv run --frozen python -m bench.outbox_fanout            # 10,000 recipients (the 30/s run: ~5.5 min)
    uv run --frozen python -m bench.outbox_fanout --quick    # 1,000 limited, 2,000 lifted
    uv run --frozen python -m bench.outbox_fanout --quick --lifted-only --before main --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import ColumnElement, Engine, func, select
from sqlmodel import Session, col

from bench.common import source_of
from bots.app import make_bot
from bots.telegram.sender import TelegramSender
from models import DeliveryAttempt, Notification
from models.migrate import upgrade
from models.store import make_engine
from outbox.sender import Outcome, Outgoing, SendResult
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from scheduler.dispatcher import Dispatcher
from settings import Settings, load_settings

FIRST_CHAT = 700_000
LIMIT = 30.0
IN_FLIGHT = 16  # the dispatcher's default in-flight limit
WARM_UP = 200
# One contender's run in a process of its own, in the source tree it is started in (this one, or a
# revision's: the functions it calls have kept their names and arguments): a warm-up, then the run;
# its rate and CPU a message on the last line.
CONTENDER = """
import asyncio, json, sys, tempfile
from pathlib import Path
from bench.outbox_fanout import plain_loop, through_emulator
which, recipients, warm_up, in_flight = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with tempfile.TemporaryDirectory() as folder:
    if which == "plain":
        asyncio.run(plain_loop(warm_up, in_flight))
        speed = asyncio.run(plain_loop(recipients, in_flight))
    else:
        asyncio.run(through_emulator(Path(folder), warm_up, False, "warm"))
        speed = asyncio.run(through_emulator(Path(folder), recipients, False, "measured"))
print(json.dumps([speed.rate, speed.cpu]))
"""


def most_in_window(times: Sequence[float], seconds: float) -> int:
    window: deque[float] = deque()
    most = 0
    for moment in sorted(times):
        window.append(moment)
        while window[0] <= moment - seconds:
            window.popleft()
        most = max(most, len(window))
    return most


def scratch(folder: Path, name: str, **overrides: object) -> tuple[Engine, Settings]:
    url = f"sqlite:///{folder / name}.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    quiet = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}  # none, whatever the hour
    return engine, load_settings(data_dir=folder, database_url=url, **quiet, **overrides)  # type: ignore[arg-type]


def count(engine: Engine, *where: ColumnElement[bool]) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Notification).where(*where)).scalar_one())


TEXT = "Ертең сағат 18:00-ге дейін: Алгебра, үй жұмысы"


@dataclass(frozen=True)
class Speed:
    """A contender's messages/s and the CPU this process spent a message (the emulator's share
    included, the same for both contenders): on a machine shared with other work the rate follows
    the load, the CPU a message much less."""

    rate: float
    cpu: float  # seconds a message


async def plain_loop(recipients: int, in_flight: int) -> Speed:
    """The contender: messages/s of `in_flight` aiohttp workers posting sendMessage to the emulator."""
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        for i in range(recipients):
            telegram.add_user(FIRST_CHAT + i, f"G{i}")
        url = f"{telegram.api_url}/bot{telegram.token}/sendMessage"
        chats = iter(range(FIRST_CHAT, FIRST_CHAT + recipients))
        async with aiohttp.ClientSession() as http:

            async def worker() -> None:
                for chat in chats:
                    async with http.post(url, json={"chat_id": chat, "text": TEXT}) as answer:
                        await answer.json()

            started, cpu = time.monotonic(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(in_flight)))
            return Speed(recipients / (time.monotonic() - started), (time.process_time() - cpu) / recipients)


async def through_emulator(folder: Path, recipients: int, limited: bool, name: str = "") -> Speed:
    limits = RateLimits() if limited else RateLimits.unlimited()
    rate = LIMIT if limited else 1_000_000.0
    async with TelegramEmulator(rate_limits=limits) as telegram:
        engine, settings = scratch(
            folder,
            name or ("limited" if limited else "lifted"),
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.api_url,
            telegram_rate_per_second=rate,
        )
        seed_broadcast(engine, recipients, first_chat=FIRST_CHAT)
        for i in range(recipients):
            telegram.add_user(FIRST_CHAT + i, f"G{i}")
        arrivals: dict[int, list[float]] = {}
        telegram.on_bot_message.append(
            lambda m: arrivals.setdefault(m.chat_id, []).append(time.monotonic())  # type: ignore[arg-type]
        )
        bot = make_bot(settings)
        try:
            dispatcher = Dispatcher(engine, {"telegram": TelegramSender(bot)}, settings)
            started, cpu = time.monotonic(), time.process_time()
            await dispatcher.run_until_idle(timeout=3600)
            elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        finally:
            await bot.session.close()
        with Session(engine) as session:
            throttled = int(
                session.execute(
                    select(func.count())
                    .select_from(DeliveryAttempt)
                    .where(col(DeliveryAttempt.outcome) == "throttled")
                ).scalar_one()
            )
    times = sorted(t for chat in arrivals.values() for t in chat)
    per_chat = Counter({chat: len(v) for chat, v in arrivals.items()})
    lost = sum(1 for i in range(recipients) if per_chat[FIRST_CHAT + i] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    span = times[-1] - times[0] if len(times) > 1 else elapsed
    achieved = (len(times) - 1) / span if span > 0 else float("inf")
    chat_most = max((most_in_window(v, 1.0) for v in arrivals.values()), default=0)
    label = "limited to 30/s" if limited else "limits lifted"
    print(f"\n[{label}] {recipients} recipients through the Telegram emulator")
    print(f"  wall time                 {elapsed:8.1f} s")
    print(f"  achieved rate             {achieved:8.1f} msgs/s (first to last message)")
    if limited:
        print(f"  of the 30/s limit         {achieved / LIMIT * 100:8.1f} %   (target >= 95 %)")
        print(f"  most in any 1 s overall   {most_in_window(times, 1.0):8d}     (emulator: 30/s, burst 30)")
    print(f"  most in any 1 s, one chat {chat_most:8d}     (limit 1)")
    print(f"  429 answers (throttled)   {throttled:8d}")
    print(f"  lost / duplicated         {lost:8d} / {duplicated}")
    print(f"  rows sent                 {count(engine, col(Notification.status) == 'sent'):8d}")
    engine.dispose()
    return Speed(achieved, cpu / recipients)


class InstantSender:
    channel = "telegram"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, message: Outgoing) -> SendResult:
        self.sent += 1
        return SendResult(Outcome.DELIVERED, provider_id=str(self.sent))


async def dispatcher_alone(folder: Path, recipients: int) -> None:
    engine, settings = scratch(folder, "alone", telegram_rate_per_second=1_000_000.0)
    seed_broadcast(engine, recipients, first_chat=FIRST_CHAT)
    sender = InstantSender()
    started = time.monotonic()
    await Dispatcher(engine, {"telegram": sender}, settings).run_until_idle(timeout=3600)
    elapsed = time.monotonic() - started
    print(f"\n[dispatcher and SQLite store alone, a sender that answers at once] {recipients} recipients")
    print(f"  throughput                {recipients / elapsed:8.1f} msgs/s   (target >= 1000/s)")
    sent = count(engine, col(Notification.status) == "sent")
    print(f"  rows sent                 {sent:8d} (sends {sender.sent})")
    engine.dispose()


def contender(which: str, recipients: int, code: Path | None) -> Speed:
    """One run of the dispatcher (this code's, or the source tree `code`) or of the plain loop, in a
    process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", CONTENDER, which, str(recipients), str(WARM_UP), str(IN_FLIGHT)],
        capture_output=True,
        text=True,
        check=False,
        cwd=code or Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"{which}: {done.stderr[-3000:]}")
    rate, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return Speed(rate, cpu)


def side_by_side(recipients: int, rounds: int, before: str | None, folder: Path) -> None:
    """The dispatcher against the plain loop (and the code of `before`), alternating round by round."""
    code = source_of(before, folder) if before else None
    names = ([f"dispatcher, {before}"] if before else []) + ["dispatcher", "plain aiohttp"]
    runs: dict[str, list[Speed]] = {name: [] for name in names}
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            which = "plain" if name == "plain aiohttp" else "dispatcher"
            runs[name].append(contender(which, recipients, code if name != "dispatcher" else None))
        print(f"  round {round_number + 1} done; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n[limits lifted, alternating] {recipients} recipients, {IN_FLIGHT} at once, {rounds} rounds")
    for name in names:
        print(f"  {name:24} " + " ".join(f"{s.rate:6.0f}" for s in runs[name]) + "  msgs/s")
    for name in names:
        print(f"  CPU a message, {name:24} " + " ".join(f"{s.cpu * 1e6:5.0f}" for s in runs[name]) + "  µs")
    plain = runs["plain aiohttp"]
    for name in names[:-1]:
        rate = statistics.median(s.rate for s in runs[name]) / statistics.median(s.rate for s in plain)
        cpu = statistics.median(s.cpu for s in plain) / statistics.median(s.cpu for s in runs[name])
        print(
            f"  {name} ÷ plain loop, medians: rate {rate:.2f}, CPU a message (plain's ÷ its) {cpu:.2f}"
            "   (target >= 0.5)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.outbox_fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 recipients limited, 2,000 lifted")
    parser.add_argument("--recipients", type=int, help="recipients in every run")
    parser.add_argument("--lifted-only", action="store_true", help="leave out the run at 30/s")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, limits lifted (default 3)")
    parser.add_argument("--before", help="a git revision whose dispatcher runs beside, limits lifted")
    args = parser.parse_args()
    limited = args.recipients or (1_000 if args.quick else 10_000)
    lifted = args.recipients or (2_000 if args.quick else 10_000)
    print(
        "bench.outbox_fanout:",
        "quick run" if args.quick else "full run",
        f"({limited} limited, {lifted} lifted)",
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; SQLite"
    )
    with tempfile.TemporaryDirectory(prefix="ustaz-fanout-") as tmp:
        folder = Path(tmp)
        if not args.lifted_only:
            asyncio.run(through_emulator(folder, limited, limited=True))
        side_by_side(lifted, args.rounds, args.before, folder)
        asyncio.run(dispatcher_alone(folder, lifted))


if __name__ == "__main__":
    main()
