"""Retention: submissions and photos older than RETENTION_DAYS are purged by the nightly job, the purge
is audited, and newer work (and a file a newer page shares) is kept."""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from locales import LANGUAGES, T, translate
from models import (
    Attendance,
    AuditLog,
    DeliveryAttempt,
    Feedback,
    Lesson,
    Notification,
    Submission,
    SubmissionPage,
)
from models.clock import utcnow
from models.store import session_scope
from outbox.write import enqueue
from scheduler.app import build_scheduler
from scheduler.retention import EXPORTS_JOB, RETENTION_JOB, purge
from settings import Settings
from tests.support.homework import World, build_world

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


def test_a_familys_data_export_never_sent_is_removed_within_the_hour(
    world: World, settings: Settings
) -> None:
    exports = settings.media_dir / "exports"
    exports.mkdir(parents=True)
    old, fresh = exports / "old.json", exports / "fresh.json"
    old.write_text("{}")
    fresh.write_text("{}")
    hour_ago = (utcnow() - timedelta(minutes=51)).timestamp()
    os.utime(old, (hour_ago, hour_ago))
    purge(world.engine, settings)
    assert not old.exists() and fresh.exists()
    job = build_scheduler(world.engine, settings).get_job(EXPORTS_JOB)
    assert job is not None and job.trigger.interval <= timedelta(minutes=10)


def test_attendance_and_messages_go_with_the_work_as_the_consent_text_says(
    world: World, settings: Settings
) -> None:
    """The consent text promises work, grades, attendance and messages about the child are deleted
    after RETENTION_DAYS; a message still to be sent is never purged."""
    with session_scope(world.engine) as session:
        lesson = Lesson(group_id=world.groups["A1"], weekday=0, start_time=time(15, 0))
        session.add(lesson)
        session.flush()
        assert lesson.id is not None
        for days_ago in (500, 10):
            session.add(
                Attendance(
                    lesson_id=lesson.id,
                    on_date=(utcnow() - timedelta(days=days_ago)).date(),
                    pupil_id=world.ids["p1"],
                    status="absent",
                )
            )
        for key, days_ago, status in (("old", 500, "sent"), ("waiting", 500, "pending"), ("new", 10, "sent")):
            row = enqueue(
                session,
                kind="attendance.absent",
                text=T("notify.homework.reminder", title="Page 42"),
                idempotency_key=f"test:{key}:",
                person_id=world.ids["g1"],
            )
            assert row is not None and row.id is not None
            row.status, row.created_at = status, utcnow() - timedelta(days=days_ago)
            session.add(DeliveryAttempt(notification_id=row.id, channel="telegram"))
    purged = purge(world.engine, settings)
    assert (purged.attendance, purged.messages) == (1, 1)
    with Session(world.engine) as session:
        assert len(session.exec(select(Attendance)).all()) == 1
        kept = {row.idempotency_key for row in session.exec(select(Notification))}
        assert {"test:waiting:", "test:new:"} <= kept and "test:old:" not in kept
        assert len(session.exec(select(DeliveryAttempt)).all()) == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_consent_text_says_how_long_the_data_is_kept(language: str) -> None:
    """On Telegram the way to ask is the slash command; elsewhere its word (`{cmd_forget}`)."""
    text = T("consent.request", pupil="X", programme="P", subjects="", days=400)
    assert "400" in text.render(language, "telegram") and "/forget" in text.render(language, "telegram")
    word = translate(language, "command.forget")
    assert "400" in text.render(language, "whatsapp") and word in text.render(language, "whatsapp")
