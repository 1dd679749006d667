"""`ustaz backup <file>` and `ustaz restore <file>`: the database and the stored media in one archive.

The archive is a gzipped tar holding `manifest.json`, the database (`ustaz.sqlite3`, a copy made with
SQLite's online backup API, or `database.dump`, pg_dump's custom format) and `media/`.

Consistency: the database is copied first, the media after. Stored files are content-addressed and
only added while the system runs, so every page the copied database refers to is in the archive (a
page stored in between is an extra file no row names). Restore replaces both; stop the processes
first (`systemctl stop 'ustaz-*'`, see docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from settings import Settings

FORMAT = 1
SQLITE_NAME = "ustaz.sqlite3"
DUMP_NAME = "database.dump"
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is one line for the operator."""


@dataclass(frozen=True)
class Summary:
    engine: str
    media_files: int


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.db_url.split("///", 1)[1])


def _is_sqlite(settings: Settings) -> bool:
    return settings.db_url.startswith("sqlite")


def _libpq_url(settings: Settings) -> str:
    """pg_dump and pg_restore take a libpq URL: the SQLAlchemy driver suffix goes."""
    url = make_url(settings.db_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"ustaz: {name} is not on PATH; install the PostgreSQL client tools of the server's version"
        )
    return found


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"ustaz: {Path(args[0]).name}: {last}")


def backup(settings: Settings, archive: Path) -> Summary:
    media_dir = settings.media_dir
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if _is_sqlite(settings):
            source_path = _sqlite_path(settings)
            if not source_path.exists():
                raise BackupError(f"ustaz: no database at {source_path}")
            source = sqlite3.connect(source_path)
            target = sqlite3.connect(work / SQLITE_NAME)
            try:
                source.backup(target)  # a consistent copy while the system keeps writing
            finally:
                target.close()
                source.close()
            database, kind = work / SQLITE_NAME, "sqlite"
        else:
            database, kind = work / DUMP_NAME, "postgresql"
            _run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "-f",
                    str(database),
                    _libpq_url(settings),
                ]
            )
        files = sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []
        manifest = {
            "format": FORMAT,
            "engine": kind,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "media_files": len(files),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        # Children's data: readable by the owner only, from the first byte (not chmod-ed afterwards).
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # a partial file left by an earlier run keeps no wider mode
        with open(descriptor, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(database, arcname=database.name)
            for path in files:
                tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        partial.replace(archive)  # never a half-written archive under the final name
    return Summary(kind, len(files))


def restore(settings: Settings, archive: Path) -> Summary:
    if not archive.is_file():
        raise BackupError(f"ustaz: no backup at {archive}")
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive, "r:gz") as tar:
        work = Path(scratch)
        tar.extractall(work, filter="data")  # refuses absolute paths, "..", links out of the tree
        try:
            manifest = json.loads((work / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise BackupError("ustaz: not an Ustaz backup (no manifest)") from exc
        kind = manifest.get("engine")
        if manifest.get("format") != FORMAT or kind not in ("sqlite", "postgresql"):
            raise BackupError("ustaz: not an Ustaz backup of a known format")
        if (kind == "sqlite") != _is_sqlite(settings):
            raise BackupError(
                f"ustaz: this backup is of a {kind} database; DATABASE_URL points at another kind"
            )
        if kind == "sqlite":
            target_path = _sqlite_path(settings)
            target_path.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(work / SQLITE_NAME)
            target = sqlite3.connect(target_path)
            try:
                source.backup(target)  # replaces every page of the target, WAL included
            finally:
                target.close()
                source.close()
        else:
            _run(
                [
                    _pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "-d",
                    _libpq_url(settings),
                    str(work / DUMP_NAME),
                ]
            )
        media_dir = settings.media_dir
        if media_dir.exists():
            shutil.rmtree(media_dir)
        restored = work / MEDIA
        if restored.exists():
            shutil.copytree(restored, media_dir)
        else:
            media_dir.mkdir(parents=True)
        count = sum(1 for p in media_dir.rglob("*") if p.is_file())
    return Summary(str(kind), count)
