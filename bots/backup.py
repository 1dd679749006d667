"""`ustaz backup <file>` and `ustaz restore <file>`: the database and the stored media in one archive.

The archive is a gzipped tar holding `manifest.json`, the database (`ustaz.sqlite3`, a copy made with
SQLite's online backup API, or `database.dump`, pg_dump's custom format) and `media/`.

Consistency: the database is copied first, the media after. Stored files are content-addressed and
only added while the system runs, so every page the copied database refers to is in the archive (a
page stored in between is an extra file no row names). Restore replaces both; stop the processes
first (`systemctl stop 'ustaz-*'`, see docs/deploy.md).

The archive holds children's data: it is written readable by its owner only (0600). Restore refuses
a target that holds data already (a database with rows, a media folder with files) unless told
`force`, and an archive it cannot read, or one whose members would land outside the folder it
unpacks into, with one line saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from models.store import make_engine  # with every table, for the emptiness check
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


def _target_holds(settings: Settings) -> str | None:
    """What a restore would overwrite: None when the database has no rows and the media folder no files."""
    media = settings.media_dir
    if media.exists() and any(path.is_file() for path in media.rglob("*")):
        return f"the media folder {media} holds files"
    if _is_sqlite(settings) and not _sqlite_path(settings).exists():
        return None
    engine = make_engine(settings.db_url, no_pool=True)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            for table in SQLModel.metadata.sorted_tables:
                if table.name in present and connection.execute(select(table).limit(1)).first():
                    return "the database holds data"
    except SQLAlchemyError as error:
        raise BackupError(
            f"ustaz: cannot read the database to restore into: {type(error).__name__}"
        ) from None
    finally:
        engine.dispose()
    return None


def _private(path: Path) -> BinaryIO:
    """A new file only its owner may read or write, whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier attempt keeps its mode otherwise
    return os.fdopen(descriptor, "wb")


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
        with _private(partial) as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(database, arcname=database.name)
            for path in files:
                tar.add(path, arcname=f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        partial.replace(archive)  # never a half-written archive under the final name
    return Summary(kind, len(files))


def restore(settings: Settings, archive: Path, *, force: bool = False) -> Summary:
    """Put the archive's database and media in place; a target holding data only with `force`."""
    if not archive.is_file():
        raise BackupError(f"ustaz: no backup at {archive}")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        _unpack(archive, work)
        kind = _kind_of(work, settings)
        held = None if force else _target_holds(settings)
        if held is not None:
            raise BackupError(f"ustaz: {held}; restoring would replace it. Add --force to replace it")
        if kind == "sqlite":
            target_path = _sqlite_path(settings)
            target_path.parent.mkdir(parents=True, exist_ok=True)
            _copy_sqlite(work / SQLITE_NAME, target_path)
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
    return Summary(kind, count)


def _copy_sqlite(source_path: Path, target_path: Path) -> None:
    """Replace every page of the target (its WAL included) with the backup's, checked first."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        if source.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise BackupError("ustaz: the backup's database is damaged; nothing was restored")
        source.backup(target)
    except sqlite3.DatabaseError:
        raise BackupError(
            "ustaz: the backup's database is not an SQLite database; nothing was restored"
        ) from None
    finally:
        target.close()
        source.close()


def _kind_of(work: Path, settings: Settings) -> str:
    """The unpacked backup's database kind, if it is ours and fits DATABASE_URL."""
    try:
        manifest = json.loads((work / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("ustaz: not an Ustaz backup (no manifest)") from None
    kind = manifest.get("engine") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or kind not in ("sqlite", "postgresql")
    ):
        raise BackupError("ustaz: not an Ustaz backup of a known format")
    if (kind == "sqlite") != _is_sqlite(settings):
        raise BackupError(f"ustaz: this backup is of a {kind} database; DATABASE_URL points at another kind")
    if not (work / (SQLITE_NAME if kind == "sqlite" else DUMP_NAME)).is_file():
        raise BackupError("ustaz: not an Ustaz backup (no database in it)")
    return str(kind)


def _unpack(archive: Path, into: Path) -> None:
    """Unpack, refusing absolute paths, "..", links out of the tree and devices (tarfile's "data"
    filter); a file that is not a gzipped tar, or is cut short, is refused the same way."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except tarfile.FilterError as error:
        raise BackupError(
            f"ustaz: refused {archive}: a member would land outside the backup ({error})"
        ) from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"ustaz: {archive} is not a readable Ustaz backup ({type(error).__name__})"
        ) from None
