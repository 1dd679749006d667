"""The `ustaz` command: run the system, import a roster, migrate the store, change the plan."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bots import heap, logs
from bots.app import ROLES, Running, announce, serve
from bots.backup import BackupError, backup, restore
from bots.district_cli import add_commands as add_district_commands
from models.migrate import ready_store
from roster import format_report, import_roster
from scheduler.cli import add_commands as add_plan_commands
from settings import Settings, SettingsError, get_settings


def _started(running: Running) -> None:
    announce(running)
    heap.settle()


def _run(args: argparse.Namespace) -> int:
    heap.tune_malloc()
    heap.tune_collector()
    settings = get_settings()
    roles = ROLES if not args.role or "all" in args.role else tuple(dict.fromkeys(args.role))
    if set(roles) != set(ROLES) and (settings.sandbox or not settings.db_url.startswith("postgres")):
        print(
            "ustaz: --role splits the system over several processes, which needs PostgreSQL "
            "(DATABASE_URL) and a real bot token; SQLite serves one process running every role",
            file=sys.stderr,
        )
        return 2
    if settings.sandbox:
        return _run_sandbox(settings, fresh=args.fresh)
    if args.fresh:
        print(
            "ustaz: --fresh starts the sandbox clean; with tokens configured there is no sandbox",
            file=sys.stderr,
        )
        return 2
    asyncio.run(serve(settings, announce=_started, roles=roles))
    return 0


def _run_sandbox(settings: Settings, *, fresh: bool = False) -> int:
    """The one place the product meets its sandbox: imported only here, when no tokens are set, so
    the emulators load only when they run and an installed wheel (which leaves them out) still runs."""
    try:
        from sandbox.runtime import CannotStartClean, run_sandbox
    except ModuleNotFoundError as error:
        if error.name not in ("sandbox", "sandbox.runtime"):
            raise
        print(
            "ustaz: no tokens are configured and the sandbox is not installed; set TELEGRAM_BOT_TOKEN "
            "or TWILIO_ACCOUNT_SID, or run the sandbox from the source tree (make run)",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(run_sandbox(settings, fresh=fresh))
    except CannotStartClean as refused:
        print(f"ustaz: {refused}", file=sys.stderr)
        return 2
    return 0


def _import(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = ready_store(settings.data_dir, settings.db_url)
    report = import_roster(
        engine, Path(args.path), dry_run=args.dry_run, invite_ttl=timedelta(days=settings.invite_ttl_days)
    )
    for line in format_report(report, args.lang or settings.default_locale):
        print(line)
    return 0 if report.ok else 1


def _backup(args: argparse.Namespace) -> int:
    try:
        summary = backup(get_settings(), Path(args.file))
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"ok: {summary.engine} database and {summary.media_files} media files in {args.file}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    try:
        summary = restore(get_settings(), Path(args.file), force=args.force)
    except BackupError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"ok: {summary.engine} database and {summary.media_files} media files restored")
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    settings = get_settings()
    ready_store(settings.data_dir, settings.db_url).dispose()
    print("ok")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ustaz", description="Ustaz: the school chat-bot system.")
    commands = top.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run", help="run the system (the sandbox when no tokens are set)")
    running.add_argument(
        "--role",
        action="append",
        choices=["all", *ROLES],
        help="what this process runs (repeatable; default all): bot = webhooks, polling and pages, "
        "dispatcher = the outbox, scheduler = the timetable job. Several processes need PostgreSQL",
    )
    running.add_argument(
        "--fresh",
        action="store_true",
        help="sandbox only: start clean (forget the last run's store, chats and clock)",
    )
    running.set_defaults(func=_run)
    importing = commands.add_parser("import", help="import a roster and timetable (.xlsx or .csv)")
    importing.add_argument("path")
    importing.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    importing.add_argument("--lang", choices=["kk", "ru", "en"], help="language of the report")
    importing.set_defaults(func=_import)
    commands.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=_migrate)
    saving = commands.add_parser(
        "backup", help="write the database and media to one archive, readable by its owner only"
    )
    saving.add_argument("file", help="the archive to write (.tar.gz)")
    saving.set_defaults(func=_backup)
    restoring = commands.add_parser(
        "restore", help="replace the database and media with a backup's (stop the system first)"
    )
    restoring.add_argument("file", help="an archive written by `ustaz backup`")
    restoring.add_argument(
        "--force", action="store_true", help="replace a database or media folder that holds data already"
    )
    restoring.set_defaults(func=_restore)
    add_plan_commands(commands)  # postal set, lesson move|cancel
    add_district_commands(commands)  # district place|grant|revoke|list
    return top


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(error.code, file=sys.stderr)
        sys.exit(2)
    logs.configure(settings.log_level, settings.log_format)
    try:
        sys.exit(args.func(args))
    except SettingsError as error:
        print(error.code, file=sys.stderr)
        sys.exit(2)
