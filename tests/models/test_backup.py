"""`ustaz backup` / `ustaz restore`: the sample school and its media round-trip through one archive
(SQLite through the online backup API, PostgreSQL through pg_dump and pg_restore)."""

from __future__ import annotations

import io
import shutil
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bots.backup import BackupError, backup, restore
from bots.cli import main
from models import Person
from models.store import is_postgres, make_engine, session_scope
from roster import import_roster
from settings import Settings, get_settings
from tests.support.roster import counts, snapshot

pytestmark = pytest.mark.store

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.xlsx"


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

    with pytest.raises(BackupError, match="--force"):
        restore(settings, archive)  # the system holds data: nothing is replaced without being told
    with Session(engine) as session:
        assert session.exec(select(Person).where(Person.external_id == "late")).first() is not None
    restored = restore(settings, archive, force=True)
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


def test_a_backup_restores_into_an_empty_system_without_force(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    if is_postgres(engine):
        pytest.skip("an empty PostgreSQL database is another test's")
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    archive = tmp_path / "ustaz.tar.gz"
    backup(settings, archive)
    elsewhere = settings.model_copy(
        update={"data_dir": tmp_path / "new", "database_url": f"sqlite:///{tmp_path / 'new' / 'u.sqlite3'}"}
    )
    assert restore(elsewhere, archive).engine == "sqlite"
    fresh = make_engine(elsewhere.db_url)
    try:
        assert counts(fresh) == counts(engine)
    finally:
        fresh.dispose()


def _hostile(path: Path, member: str, *, link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        manifest = io.BytesIO(b'{"format": 1, "engine": "sqlite"}')
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest.getvalue())
        tar.addfile(info, manifest)
        evil = tarfile.TarInfo(member)
        if link is not None:
            evil.type, evil.linkname = tarfile.SYMTYPE, link
            tar.addfile(evil)
        else:
            evil.size = 4
            tar.addfile(evil, io.BytesIO(b"evil"))
    return path


def test_a_hostile_or_broken_archive_is_refused_with_one_line(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gzip_cut = _hostile(tmp_path / "cut.tar.gz", "media/page.jpg")
    gzip_cut.write_bytes(gzip_cut.read_bytes()[:40])
    archives = [
        _hostile(tmp_path / "dotdot.tar.gz", "../../outside.txt"),
        _hostile(tmp_path / "absolute.tar.gz", "/tmp/ustaz-absolute.txt"),
        _hostile(tmp_path / "link.tar.gz", "media/passwd", link="/etc/passwd"),
        gzip_cut,
    ]
    (tmp_path / "plain.txt").write_text("not an archive")
    archives.append(tmp_path / "plain.txt")
    not_sqlite = tmp_path / "not-sqlite.tar.gz"
    with tarfile.open(not_sqlite, "w:gz") as tar:
        for name, data in (
            ("manifest.json", b'{"format": 1, "engine": "sqlite"}'),
            ("ustaz.sqlite3", b"x" * 4096),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archives.append(not_sqlite)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty' / 'u.sqlite3'}")
    get_settings.cache_clear()
    try:
        for archive in archives:
            with pytest.raises(SystemExit) as stopped:
                main(["restore", str(archive)])
            assert stopped.value.code == 1
            err = capsys.readouterr().err
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
            assert err.startswith("ustaz: ") and ("refused" in err or "not a" in err), err
    finally:
        get_settings.cache_clear()
    assert not (tmp_path.parent / "outside.txt").exists() and not Path("/tmp/ustaz-absolute.txt").exists()
