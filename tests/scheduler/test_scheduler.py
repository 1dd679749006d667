"""The scheduler derives outbox rows from the timetable and homework: once, withdrawn when changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Homework, Lesson, LessonChange, Notification, Submission
from models.store import session_scope
from scheduler.app import DERIVE_JOB, build_scheduler, derive_once
from scheduler.dispatcher import Dispatcher
from scheduler.jobs import DeriveOptions, derive_due
from scheduler.leadership import leader_lock
from settings import Settings
from tests.support.outbox import School, school, senders

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = date(2025, 3, 3)
LESSON_START = datetime(2025, 3, 3, 15, 0, tzinfo=ALMATY)  # 10:00 UTC


def test_almaty_is_utc_plus_five_all_year(settings: Settings) -> None:
    for moment in (datetime(2025, 1, 15, 12), datetime(2025, 7, 15, 12), datetime(2025, 3, 3, 15)):
        assert moment.replace(tzinfo=ALMATY).utcoffset() == timedelta(hours=5)
    assert LESSON_START.isoformat() == "2025-03-03T15:00:00+05:00"
    assert settings.zone.key == "Asia/Almaty"


def _lesson_school(engine: Engine, consenting: int = 2) -> tuple[School, int]:
    with session_scope(engine) as session:
        s = school(session, consenting=consenting)
        lesson = Lesson(
            group_id=s.group_id, weekday=0, start_time=time(15, 0), link="https://meet.example/alg"
        )
        session.add(lesson)
        session.flush()
        assert lesson.id is not None
        return s, lesson.id


def _rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification)).all())


def _derive(engine: Engine, start: datetime, end: datetime, now: datetime) -> int:
    with session_scope(engine) as session:
        return derive_due(session, start, end, now=now, options=DeriveOptions.from_settings(Settings()))


def test_lesson_reminders_are_derived_once_however_often_derive_runs(engine: Engine) -> None:
    s, lesson_id = _lesson_school(engine)
    morning = datetime(2025, 3, 3, 8, 0, tzinfo=ALMATY)
    # the job runs every minute over an overlapping window, and the process restarts in between
    for minute in range(0, 8 * 60, 7):
        now = morning + timedelta(minutes=minute)
        _derive(engine, now - timedelta(minutes=30), now + timedelta(minutes=2), now)
    _derive(engine, morning, morning + timedelta(days=1), morning)  # a re-import derives the whole day
    rows = _rows(engine)
    keys = [r.idempotency_key for r in rows]
    assert (
        len(keys) == len(set(keys)) == 2 * (2 + 2)
    )  # two offsets × (two consenting pupils + tutor + assistant)
    by_person: dict[int | None, list[Notification]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, []).append(row)
    assert s.pupils[2] not in by_person  # no consent, no reminder
    assert set(by_person) == {s.pupils[0], s.pupils[1], s.tutor_id, s.assistant_id}
    for person_rows in by_person.values():
        assert sorted(r.due_at for r in person_rows) == [
            LESSON_START - timedelta(minutes=60),
            LESSON_START - timedelta(minutes=10),
        ]
    pupil_row = by_person[s.pupils[0]][0]
    assert pupil_row.key == "notify.lesson.reminder" and pupil_row.urgent
    assert pupil_row.params["link"] == "https://meet.example/alg" and pupil_row.params["time"] == "15:00"
    assert pupil_row.idempotency_key.startswith(f"lesson:{lesson_id}:2025-03-03:")
    tutor_row = by_person[s.tutor_id][0]
    assert tutor_row.params["count"] == 2 and len(tutor_row.params["pupils"]["$names"]) == 2


def test_a_cancelled_lesson_withdraws_its_reminders_and_tells_the_group(engine: Engine) -> None:
    s, lesson_id = _lesson_school(engine, consenting=3)
    morning = datetime(2025, 3, 3, 9, 0, tzinfo=ALMATY)
    _derive(engine, morning, morning + timedelta(days=1), morning)
    assert {r.status for r in _rows(engine)} == {"pending"}
    with session_scope(engine) as session:
        session.add(LessonChange(lesson_id=lesson_id, on_date=MONDAY, cancelled=True))
    now = morning + timedelta(minutes=5)
    for _ in range(3):
        _derive(engine, now, now + timedelta(minutes=2), now)
    rows = _rows(engine)
    reminders = [r for r in rows if r.kind.startswith("lesson.reminder")]
    notices = [r for r in rows if r.kind == "lesson.changed"]
    assert reminders and {r.status for r in reminders} == {"cancelled"}
    assert sorted(r.person_id or 0 for r in notices) == sorted([*s.pupils, s.tutor_id, s.assistant_id])
    assert notices[0].key == "notify.lesson.cancelled" and notices[0].params["time"] == "15:00"
    # deriving the whole day again writes no reminder for the cancelled occurrence
    _derive(engine, morning, morning + timedelta(days=1), now)
    assert len(_rows(engine)) == len(rows)


def test_a_moved_lesson_gets_new_reminders_and_the_old_ones_go(engine: Engine) -> None:
    _school, lesson_id = _lesson_school(engine)
    morning = datetime(2025, 3, 3, 9, 0, tzinfo=ALMATY)
    _derive(engine, morning, morning + timedelta(days=1), morning)
    moved_to = datetime(2025, 3, 4, 16, 0, tzinfo=ALMATY)
    with session_scope(engine) as session:
        session.add(LessonChange(lesson_id=lesson_id, on_date=MONDAY, moved_to=moved_to.astimezone(UTC)))
    now = morning + timedelta(minutes=5)
    for _ in range(2):
        _derive(engine, now, now + timedelta(days=2), now)
    rows = _rows(engine)
    old = [r for r in rows if r.kind.startswith("lesson.reminder") and r.status == "cancelled"]
    new = [r for r in rows if r.kind.startswith("lesson.reminder") and r.status == "pending"]
    assert len(old) == len(new) == 8
    assert {r.due_at for r in new} == {moved_to - timedelta(minutes=60), moved_to - timedelta(minutes=10)}
    notices = [r for r in rows if r.kind == "lesson.changed"]
    assert (
        len(notices) == 4
        and notices[0].params["new_date"] == "04.03"
        and notices[0].params["new_time"] == "16:00"
    )


def _homework(engine: Engine, s: School, due: datetime) -> int:
    with session_scope(engine) as session:
        homework = Homework(group_id=s.group_id, tutor_id=s.tutor_id, text="№ 12", due_at=due.astimezone(UTC))
        session.add(homework)
        session.flush()
        session.add(Submission(homework_id=homework.id or 0, pupil_id=s.pupils[0], channel="telegram"))
        assert homework.id is not None
        return homework.id


def test_deadline_reminders_skip_pupils_who_submitted(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
    due = datetime(2025, 3, 5, 18, 0, tzinfo=ALMATY)
    homework_id = _homework(engine, s, due)
    day_before = due - timedelta(days=1, minutes=1)
    # the day before and two hours before: pupils 1 and 2 only (pupil 0 has submitted)
    for now in (day_before, due - timedelta(hours=2, minutes=1)):
        for _ in range(2):
            _derive(engine, now - timedelta(minutes=30), now + timedelta(minutes=2), now)
    reminders = [r for r in _rows(engine) if r.kind == "homework.reminder"]
    assert sorted((r.person_id or 0, r.due_at) for r in reminders) == sorted(
        (p, due - offset) for p in s.pupils[1:] for offset in (timedelta(hours=24), timedelta(hours=2))
    )
    assert all(r.idempotency_key.startswith(f"homework:{homework_id}:") for r in reminders)
    # before the deadline has passed: no deadline notices, even if the window reaches it
    _derive(engine, due - timedelta(minutes=1), due + timedelta(minutes=2), due - timedelta(minutes=1))
    assert not [r for r in _rows(engine) if r.kind.startswith("homework.missed")]
    # at the deadline: one notice to each such pupil's guardian, and the list to the tutor
    for _ in range(2):
        now = due + timedelta(seconds=30)
        _derive(engine, now - timedelta(minutes=30), now + timedelta(minutes=2), now)
    missed = [r for r in _rows(engine) if r.kind == "homework.missed"]
    assert sorted(r.person_id or 0 for r in missed) == sorted(s.guardians[1:])
    assert missed[0].params["due"] == "05.03 18:00"
    (tutor,) = [r for r in _rows(engine) if r.kind == "homework.missed.staff"]
    assert tutor.person_id == s.tutor_id and tutor.params["count"] == 2


def test_a_reminder_in_quiet_hours_comes_before_them(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
    due = datetime(2025, 3, 5, 23, 0, tzinfo=ALMATY)  # two hours before is 21:00, already quiet
    _homework(engine, s, due)
    start = datetime(2025, 3, 4, 12, 0, tzinfo=ALMATY)
    _derive(engine, start, due, start)
    soon = sorted({r.due_at for r in _rows(engine)})
    # 24 h before (23:00 the day before) and 2 h before (21:00) are both quiet: each comes at 20:59
    assert soon == [datetime(2025, 3, 4, 20, 59, tzinfo=ALMATY), datetime(2025, 3, 5, 20, 59, tzinfo=ALMATY)]


async def test_derived_reminder_is_delivered_with_the_link(engine: Engine, settings: Settings) -> None:
    _lesson_school(engine)
    at = LESSON_START - timedelta(minutes=10)
    with time_machine.travel(at, tick=True):
        assert derive_once(engine, settings) > 0
        out = senders("telegram")
        await Dispatcher(engine, out, settings).run_until_idle()
    texts = [m.message.text for m in out["telegram"].sent]
    assert len(texts) == 4  # the 10-minute reminders; the 60-minute ones lie outside the catch-up window
    assert all("https://meet.example/alg" in t for t in texts)
    assert any("Алгебра сабағы" in t and "15:00" in t for t in texts)


async def test_scheduler_runs_in_almaty_time_without_a_persistent_job_store(
    engine: Engine, settings: Settings
) -> None:
    derived = asyncio.Event()
    scheduler = build_scheduler(engine, settings, on_derived=derived.set)
    assert str(scheduler.timezone) == "Asia/Almaty"
    scheduler.start()
    try:
        job = scheduler.get_job(DERIVE_JOB)
        assert job is not None and job.coalesce is True and job.misfire_grace_time >= 60
        assert type(scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
        await asyncio.wait_for(derived.wait(), 10)  # runs at once on start, then every minute
    finally:
        scheduler.shutdown(wait=False)


def test_only_one_scheduler_leads_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    with leader_lock(engine) as first:
        assert first is not None
        with leader_lock(engine) as second:
            assert second is None
    with leader_lock(engine) as again:
        assert again is not None
