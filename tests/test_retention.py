"""Retention: submissions and photos older than RETENTION_DAYS are purged by the nightly job, the purge
is audited, and newer work (and a file a newer page shares) is kept."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import AuditLog, Feedback, Submission, SubmissionPage
from models.clock import utcnow
from models.store import session_scope
from scheduler.app import build_scheduler
from scheduler.retention import RETENTION_JOB, purge
from settings import Settings
from tests.test_homework_support import World, build_world

pytestmark = pytest.mark.store


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def _submission(world: World, homework: int, pupil: str, days_ago: int, files: list[Path]) -> int:
    with session_scope(world.engine) as session:
        submission = Submission(
            homework_id=homework,
            pupil_id=world.ids[pupil],
            channel="telegram",
            submitted_at=utcnow() - timedelta(days=days_ago),
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        for number, path in enumerate(files, start=1):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\xff\xd8" + path.name.encode())
            session.add(
                SubmissionPage(
                    submission_id=submission.id,
                    number=number,
                    path=str(path),
                    sha256=path.stem,
                    size=10,
                    width=1,
                    height=1,
                )
            )
        session.add(Feedback(submission_id=submission.id, text="ok"))
        return submission.id


def test_old_submissions_and_their_photos_are_purged_and_logged(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    media = tmp_path / "media" / "homework"
    old_only, shared, new_only = (
        media / "aa" / "old.jpg",
        media / "bb" / "shared.jpg",
        media / "cc" / "new.jpg",
    )
    homework = world.homework()
    old = _submission(world, homework, "p1", 500, [old_only, shared])
    new = _submission(world, homework, "p2", 30, [shared, new_only])

    purged = purge(world.engine, settings)

    assert (purged.submissions, purged.pages, purged.files) == (1, 2, 1)
    assert not old_only.exists()
    assert shared.exists() and new_only.exists()  # a newer page still names the shared file
    with Session(world.engine) as session:
        assert [s.id for s in session.exec(select(Submission)).all()] == [new]
        assert session.get(Submission, old) is None
        assert {p.submission_id for p in session.exec(select(SubmissionPage)).all()} == {new}
        assert session.exec(select(func.count()).select_from(Feedback)).one() == 1
        [entry] = session.exec(select(AuditLog).where(AuditLog.action == "retention.purged")).all()
    assert entry.detail["submissions"] == 1 and entry.detail["files"] == 1
    assert "p1" not in str(entry.detail)

    assert purge(world.engine, settings) == type(purged)(0, 0, 0)  # nothing left to do, nothing logged
    with Session(world.engine) as session:
        assert session.exec(select(func.count()).where(AuditLog.action == "retention.purged")).one() == 1


def test_the_retention_period_comes_from_the_settings(world: World, settings: Settings) -> None:
    homework = world.homework()
    _submission(world, homework, "p1", 100, [])
    assert purge(world.engine, settings).submissions == 0  # default: 400 days
    assert purge(world.engine, settings.model_copy(update={"retention_days": 90})).submissions == 1


def test_the_scheduler_runs_the_purge_every_night(engine: Engine, settings: Settings) -> None:
    scheduler = build_scheduler(engine, settings)
    job = scheduler.get_job(RETENTION_JOB)
    assert job is not None
    assert "hour='3'" in str(job.trigger) and "minute='30'" in str(job.trigger)


def test_a_familys_data_export_is_removed_after_a_day(world: World, settings: Settings) -> None:
    exports = settings.media_dir / "exports"
    exports.mkdir(parents=True)
    old, fresh = exports / "old.json", exports / "fresh.json"
    old.write_text("{}")
    fresh.write_text("{}")
    day_ago = (utcnow() - timedelta(days=1, minutes=5)).timestamp()
    os.utime(old, (day_ago, day_ago))
    purge(world.engine, settings)
    assert not old.exists() and fresh.exists()
