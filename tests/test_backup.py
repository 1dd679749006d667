"""`ustaz backup` / `ustaz restore`: the sample school and its media round-trip through one archive
(SQLite through the online backup API, PostgreSQL through pg_dump and pg_restore)."""

from __future__ import annotations

import shutil
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bots.backup import BackupError, backup, restore
from models import Person
from models.store import is_postgres, make_engine, session_scope
from roster import import_roster
from settings import Settings
from tests.test_roster_support import counts, snapshot

pytestmark = pytest.mark.store

SAMPLE = Path(__file__).resolve().parent.parent / "sandbox" / "sample_roster.xlsx"


def _media(settings: Settings) -> dict[str, bytes]:
    root = settings.media_dir
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_sample_school_and_its_media_round_trip(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    if is_postgres(engine) and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    report = import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30))
    assert report.ok
    pages = settings.media_dir / "ab" / "abcdef.jpg"
    pages.parent.mkdir(parents=True)
    pages.write_bytes(b"\xff\xd8page one\xff\xd9")
    (settings.media_dir / "cd.jpg").write_bytes(b"\xff\xd8page two\xff\xd9")
    before, roster, media = counts(engine), snapshot(engine), _media(settings)

    archive = tmp_path / "backups" / "ustaz.tar.gz"
    made = backup(settings, archive)
    assert made.media_files == 2
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "media/ab/abcdef.jpg", "media/cd.jpg"} <= names

    # things go wrong after the backup: a page is lost, a row is added
    pages.unlink()
    (settings.media_dir / "stray.jpg").write_bytes(b"x")
    with session_scope(engine) as session:
        session.add(Person(external_id="late", full_name="Added after the backup"))
    engine.dispose()

    restored = restore(settings, archive)
    assert restored.media_files == 2
    fresh = make_engine(settings.db_url)
    try:
        assert counts(fresh) == before
        assert snapshot(fresh) == roster
        with Session(fresh) as session:
            assert session.exec(select(Person).where(Person.external_id == "late")).first() is None
    finally:
        fresh.dispose()
    assert _media(settings) == media


def test_a_backup_of_one_kind_is_not_restored_into_another(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    if is_postgres(engine):
        pytest.skip("one pairing is enough")
    archive = tmp_path / "b.tar.gz"
    backup(settings, archive)
    other = settings.model_copy(update={"database_url": "postgresql+psycopg://u:p@127.0.0.1:1/x"})
    with pytest.raises(BackupError, match="sqlite"):
        restore(other, archive)
    not_ours = tmp_path / "other.tar.gz"
    with tarfile.open(not_ours, "w:gz") as tar:
        tar.add(archive, arcname="something")
    with pytest.raises(BackupError, match="not an Ustaz backup"):
        restore(settings, not_ours)


def test_the_archive_is_readable_by_its_owner_only(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    """It holds children's data: no other user on the machine may read it, whatever the umask, and
    also when an interrupted earlier run left a world-readable partial file under its name."""
    if is_postgres(engine) and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    archive = tmp_path / "ustaz.tar.gz"
    leftover = archive.with_name(archive.name + ".partial")
    leftover.write_bytes(b"half an archive")
    leftover.chmod(0o644)
    backup(settings, archive)
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames()
