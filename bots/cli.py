"""The `ustaz` command: run the system, import a roster, migrate the store, change the plan."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bots.app import announce, serve
from handlers.roster import format_report, import_roster
from models.migrate import upgrade
from models.settings import SettingsError, get_settings
from models.store import make_engine
from scheduler.cli import add_commands as add_plan_commands

M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own arena; the turns run on a thread pool, so
    without a cap the resident size grows by tens of MB of fragmented arenas (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


def _run(_args: argparse.Namespace) -> int:
    _limit_malloc_arenas()
    settings = get_settings()
    if settings.sandbox:
        from sandbox.runtime import run_sandbox  # the emulators are loaded only when they run

        asyncio.run(run_sandbox(settings))
        return 0
    asyncio.run(serve(settings, announce=announce))
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    report = import_roster(
        engine, Path(args.path), dry_run=args.dry_run, invite_ttl=timedelta(days=settings.invite_ttl_days)
    )
    for line in format_report(report, args.lang or settings.default_locale):
        print(line)
    return 0 if report.ok else 1


def _migrate(_args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(make_engine(settings.db_url))
    print("ok")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ustaz", description="Ustaz: the school chat-bot system.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the system (the sandbox when no tokens are set)").set_defaults(
        func=_run
    )
    importing = commands.add_parser("import", help="import a roster and timetable (.xlsx or .csv)")
    importing.add_argument("path")
    importing.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    importing.add_argument("--lang", choices=["kk", "ru", "en"], help="language of the report")
    importing.set_defaults(func=_import)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=_migrate)
    add_plan_commands(commands)  # postal set, lesson move|cancel
    return top


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        level = get_settings().log_level
    except SettingsError as error:
        print(error.code, file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        sys.exit(args.func(args))
    except SettingsError as error:
        print(error.code, file=sys.stderr)
        sys.exit(2)
