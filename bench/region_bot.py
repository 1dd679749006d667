"""The bot process with a region in its store: its resident size (target < 250 MB).

A made-up region (`bench.roster_import.district`: 1,000 schools of 40 pupils, their guardians,
staff, groups and lessons) is imported into a fresh store; then the bot runs as deployed (`python -m
bots`, webhook mode, every role in one process: turns, outbox dispatcher, scheduler with the
region's lessons) against the Telegram emulator, answers bursts of `/start`, and its resident size
is read after start-up and after the bursts (VmRSS, and VmHWM: the peak).

    uv run --frozen python -m bench.region_bot            # 1,000 schools
    uv run --frozen python -m bench.region_bot --quick    # 100 schools
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta

from bench.common import engine_name, machine, resident_kib, scratch_database, temporary_folder
from bench.roster_import import district
from bench.turn_baseline import CONTENDERS, Users, burst, start
from models.migrate import upgrade
from models.store import make_engine
from roster import import_roster
from sandbox.make_sample_roster import write_csv

SETTLE = 20.0  # seconds after start-up: the scheduler has read the timetable, the pools are up
BURSTS, BURST = 3, 500


async def run(schools: int) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        roster = folder / "region.csv"
        write_csv(district(schools, 40), roster)
        started = time.perf_counter()
        report = import_roster(engine, roster, dry_run=False, invite_ttl=timedelta(days=30))
        imported = time.perf_counter() - started
        engine.dispose()
        if not report.ok:
            raise SystemExit(f"the region did not import: {report.errors[0]}")
        running = await start(CONTENDERS[0], folder, db_url)
        try:
            await asyncio.sleep(SETTLE)
            after_start = resident_kib(running.bot.pid)
            users = Users()
            rates = [(await burst(running, users.take(BURST)))[0] for _ in range(BURSTS)]
            after = resident_kib(running.bot.pid)
        finally:
            await running.bot.stop()
            await running.emulator.stop()
    pupils = schools * 40
    print(f"bot with a region in its store: {schools:,} schools, {pupils:,} pupils; {engine_name(db_url)}")
    print(f"{machine()}")
    print(f"  region imported in {imported:.1f} s")
    print(f"  resident after start-up   {after_start['VmRSS'] / 1024:6.0f} MB")
    print(
        f"  after {BURSTS} bursts of {BURST} /start ({', '.join(f'{r:.0f}' for r in rates)} updates/s): "
        f"{after['VmRSS'] / 1024:.0f} MB, peak {after['VmHWM'] / 1024:.0f} MB   (target < 250 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 schools")
    args = parser.parse_args()
    asyncio.run(run(100 if args.quick else 1_000))


if __name__ == "__main__":
    main()
