"""`make bench`: every benchmark, one after another, each in its own process, on SQLite and — when
USTAZ_BENCH_POSTGRES_URL names a server (postgresql+psycopg://user:password@host/db) — on
PostgreSQL too. Arguments (say `--quick`) are passed to every benchmark."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import DATABASE_ENV, machine

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"__main__", "common", "baselines"}  # baselines: the bots turn_baseline runs


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in NOT_BENCHMARKS)


def uses_database(name: str) -> bool:
    """A benchmark that reads the scratch store from bench.common honours USTAZ_BENCH_DATABASE_URL."""
    source = (HERE / f"{name}.py").read_text()
    return "scratch_database" in source


def run(name: str, args: list[str], database: str | None) -> int:
    env = dict(os.environ)
    env.pop(DATABASE_ENV, None)
    if database:
        env[DATABASE_ENV] = database
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], env=env, check=False)
    print(f"  ({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    return done.returncode


def main() -> None:
    args = sys.argv[1:]
    postgres = os.environ.get("USTAZ_BENCH_POSTGRES_URL", "")
    print(f"Ustaz benchmarks on {machine()}\n", flush=True)
    failed = []
    for name in benchmarks():
        importlib.import_module(f"bench.{name}")  # a broken benchmark fails here, loudly
        engines = [None, postgres] if postgres and uses_database(name) else [None]
        for database in engines:
            if run(name, args, database) != 0:
                failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
