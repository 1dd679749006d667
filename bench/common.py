"""What the benchmarks share: the machine's description, percentiles, a scratch store, the bot
process started as a child against the emulators."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy

from sandbox.telegram_emulator import TelegramEmulator

DATABASE_ENV = "USTAZ_BENCH_DATABASE_URL"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}; {platform.system()}"


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def side_by_side_options(
    description: str | None, more: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """The options of a benchmark that can time another checkout beside this one: --quick (smaller
    worlds, fewer rounds), --before PATH (say a checkout of main), --rounds N; and those `more`
    adds."""
    options = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    options.add_argument("--quick", action="store_true", help="smaller worlds, fewer rounds")
    options.add_argument("--before", type=Path, help="a checkout of the code to compare with (say main)")
    options.add_argument("--rounds", type=int, default=0)
    if more is not None:
        more(options)
    return options.parse_args()


def source_of(revision: str, folder: Path) -> Path:
    """The tree of a git revision (the code before a change), to run beside this one."""
    tree = folder / f"code-{revision}"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def scratch_database(folder: Path, server: str | None = None) -> Iterator[str]:
    """A database for one run: a fresh SQLite file, or a fresh database on the PostgreSQL server
    named by `server` or else USTAZ_BENCH_DATABASE_URL (dropped afterwards)."""
    server = os.environ.get(DATABASE_ENV, "") if server is None else server
    if not server.startswith("postgresql"):
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"ustaz_bench_{os.getpid()}_{len(list(folder.glob('.pg-*')))}"
    (folder / f".pg-{name}").touch()  # a second database in the same run gets its own name
    # pre-ping: a benchmark may restart the server in between (bench.outbox_faults)
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield str(sqlalchemy.make_url(server).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def engine_name(db_url: str) -> str:
    return "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"


@contextmanager
def temporary_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ustaz-bench-") as folder:
        yield Path(folder)


def resident_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, and by those, and so on (the photo workers of a bot)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


class BotProcess:
    """`python -m bots` (or another bot's `module`) as a child process, configured by environment
    like a deployment."""

    def __init__(self, env: dict[str, str], data_dir: Path, module: str = "bots") -> None:
        self.env = {**os.environ, **env, "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
        self.module = module
        self.log = data_dir / f"{module}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        for _ in range(100):
            if self.process.poll() is not None:
                return
            await asyncio.sleep(0.1)
        self.process.kill()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def failed(self) -> str | None:
        if self.process is not None and self.process.poll() is not None:
            return self.log_tail()
        return None


async def wait_for_webhook(emulator: TelegramEmulator, bot: BotProcess) -> None:
    """Until the bot has told the emulator where its webhook is (it is then listening)."""
    for _ in range(300):
        if emulator.webhook is not None:
            return
        if (log := bot.failed()) is not None:
            raise RuntimeError(f"the bot stopped:\n{log}")
        await asyncio.sleep(0.1)
    raise TimeoutError("the bot did not set its webhook within 30 s")
