"""Turn baseline: what Ustaz's `/start` costs against the smallest aiogram bot and the smallest
python-telegram-bot bot answering it the same way (`bench/baselines/`), side by side in one run.

Each contender is its own process in webhook mode behind its own Telegram emulator (the emulator
serves one bot token), with flood limits lifted; the emulators and this load generator share the
other core. Rounds alternate the contenders, the order rotating each round, so the machine's
drift (its speed varies up to 3×) falls on all of them alike. A round is a burst of `/start` from
new users, all at once; per contender and round:

* updates/s: replies received / time from the first injection to the last reply;
* CPU per update: the bot process's user + system CPU over the burst / updates (its own work only;
  the emulator's is not counted).

With USTAZ_BENCH_POSTGRES_URL naming a PostgreSQL server, Ustaz also runs on a fresh database there
(its turns on its pool of threads), beside Ustaz on SQLite: how PostgreSQL's updates/s compare.

The ratios are of the medians. python-telegram-bot runs only when the bench-baselines dependency
group is installed (`make bench` installs it; `make test` does not):

    uv run --frozen --group bench-baselines python -m bench.turn_baseline [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    BotProcess,
    cpu_seconds,
    free_port,
    machine,
    resident_kib,
    scratch_database,
    temporary_folder,
    wait_for_webhook,
)
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator import ChatMessage, RateLimits, TelegramEmulator

TOKEN = "700000003:BenchTokenForTheTurnBaseline000000000"
WARM_UP = 100
FIRST_USER = 6_000_000


@dataclass
class Contender:
    name: str
    module: str
    on_postgres: bool = False  # on USTAZ_BENCH_POSTGRES_URL's server, beside the others' store
    rates: list[float] = field(default_factory=list)
    cpu_per_update: list[float] = field(default_factory=list)
    generator_cpu_per_update: list[float] = field(default_factory=list)
    resident_mb: float = 0.0


POSTGRES_ENV = "USTAZ_BENCH_POSTGRES_URL"
CONTENDERS = [
    Contender("Ustaz", "bots"),
    Contender("Ustaz on PostgreSQL", "bots", on_postgres=True),
    Contender("aiogram, minimal", "bench.baselines.aiogram_bot"),
    Contender("python-telegram-bot, minimal", "bench.baselines.ptb_bot"),
]


@dataclass
class Running:
    contender: Contender
    emulator: TelegramEmulator
    bot: BotProcess
    answered: dict[int, asyncio.Event] = field(default_factory=dict)

    def observe(self, message: ChatMessage) -> None:
        waiter = self.answered.get(message.chat_id)
        if waiter is not None:
            waiter.set()


class Users:
    """Fresh user ids for every burst: each `/start` is a stranger's first."""

    def __init__(self) -> None:
        self.next = FIRST_USER

    def take(self, count: int) -> range:
        taken = range(self.next, self.next + count)
        self.next += count
        return taken


async def burst(running: Running, users: range) -> tuple[float, float, float]:
    """Every user sends `/start` at once; (updates/s, the bot's CPU seconds per update, and the
    emulator's and this load generator's)."""
    for user_id in users:
        running.emulator.add_user(user_id, "Bench")
        running.answered[user_id] = asyncio.Event()
    cpu_before, generator_before = cpu_seconds(running.bot.pid), time.process_time()
    started = time.perf_counter()
    for user_id in users:
        running.emulator.inject_text(user_id, "/start")
    waits = (running.answered[u].wait() for u in users)
    try:
        await asyncio.wait_for(asyncio.gather(*waits), timeout=600)
    except TimeoutError:
        raise RuntimeError(
            f"{running.contender.name}: no answer in time:\n{running.bot.log_tail()}"
        ) from None
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(running.bot.pid) - cpu_before
    generator = time.process_time() - generator_before
    for user_id in users:
        del running.answered[user_id]
    return len(users) / elapsed, cpu / len(users), generator / len(users)


def environment(emulator: TelegramEmulator, port: int, db_url: str) -> dict[str, str]:
    """The same settings for every contender, as a deployment would give them."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator.base_url or "",
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
        "HTTP_PORT": str(port),
        "DATABASE_URL": db_url,
    }


async def start(contender: Contender, folder: Path, db_url: str) -> Running:
    emulator = TelegramEmulator(TOKEN, rate_limits=RateLimits.unlimited())
    await emulator.start()
    data = folder / contender.name.replace(" ", "-").replace(",", "")
    data.mkdir()
    bot = BotProcess(environment(emulator, free_port(), db_url), data, module=contender.module)
    running = Running(contender, emulator, bot)
    emulator.on_bot_message.append(running.observe)
    bot.start()
    await wait_for_webhook(emulator, bot)
    return running


async def run(quick: bool) -> None:
    postgres = os.environ.get(POSTGRES_ENV, "")
    contenders = [
        c
        for c in CONTENDERS
        if (c.module != "bench.baselines.ptb_bot" or has_ptb()) and (not c.on_postgres or postgres)
    ]
    count, rounds = (300, 3) if quick else (1000, 5)
    users = Users()
    with (
        temporary_folder() as folder,
        scratch_database(folder) as db_url,
        scratch_database(folder, postgres if postgres else "") as postgres_url,
    ):
        for url in {db_url, postgres_url}:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        started: list[Running] = []
        try:
            for contender in contenders:
                started.append(
                    await start(contender, folder, postgres_url if contender.on_postgres else db_url)
                )
            for running in started:
                await burst(running, users.take(WARM_UP))
            for round_number in range(rounds):
                shift = round_number % len(started)
                for running in started[shift:] + started[:shift]:
                    rate, cpu, generator = await burst(running, users.take(count))
                    running.contender.rates.append(rate)
                    running.contender.cpu_per_update.append(cpu)
                    running.contender.generator_cpu_per_update.append(generator)
            for running in started:
                running.contender.resident_mb = resident_kib(running.bot.pid).get("VmRSS", 0) / 1024
        finally:
            for running in started:
                await running.bot.stop()
                await running.emulator.stop()
    report(contenders, count, rounds, "PostgreSQL" if db_url.startswith("postgresql") else "SQLite")


def has_ptb() -> bool:
    return importlib.util.find_spec("telegram") is not None


def report(contenders: list[Contender], count: int, rounds: int, store: str) -> None:
    print(f"turn baseline: /start from new users, webhook mode, {count} per burst, {rounds} rounds")
    print(f"alternating; Ustaz on {store}; {machine()}")
    print(f"  {'':30} {'updates/s, each round':>38}   {'bot CPU ms/update, each round':>38}   RSS")
    for c in contenders:
        rates = " ".join(f"{r:6.0f}" for r in c.rates)
        cpus = " ".join(f"{x * 1000:6.2f}" for x in c.cpu_per_update)
        print(f"  {c.name:30} {rates:>38}   {cpus:>38}   {c.resident_mb:4.0f} MB")
    medians = {
        c.name: (
            statistics.median(c.rates),
            statistics.median(c.cpu_per_update),
            statistics.median(c.generator_cpu_per_update),
        )
        for c in contenders
    }
    ustaz_rate, ustaz_cpu, _ = medians["Ustaz"]
    print("  medians, and each against Ustaz (CPU: their ÷ Ustaz's; updates/s: Ustaz's ÷ theirs);")
    print("  the emulator and load generator's CPU per update (on the other core) for reference:")
    for name, (rate, cpu, generator) in medians.items():
        print(
            f"  {name:30} {rate:6.0f} updates/s  {cpu * 1000:6.2f} ms CPU/update   "
            f"CPU ×{cpu / ustaz_cpu:4.2f}   Ustaz's rate ×{ustaz_rate / rate:4.2f}   "
            f"generator {generator * 1000:4.2f} ms"
        )
    if "Ustaz on PostgreSQL" in medians:
        on_postgres = medians["Ustaz on PostgreSQL"][0] / ustaz_rate
        print(f"  Ustaz's updates/s on PostgreSQL ÷ on {store}: {on_postgres:.2f}   (target ≥ 0.75)")
    else:
        print(f"  (set {POSTGRES_ENV} to run Ustaz on PostgreSQL beside it)")
    if "aiogram, minimal" in medians:
        ratio = ustaz_cpu / medians["aiogram, minimal"][1]
        print(f"  Ustaz's CPU per /start ÷ minimal aiogram's: {ratio:.2f}   (target ≤ 1.5)")
    if not has_ptb():
        print("  (python-telegram-bot not installed: uv sync --group bench-baselines, or make bench)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args()
    asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()
