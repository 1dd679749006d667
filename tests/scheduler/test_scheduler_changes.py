"""The coordinator moves or cancels a lesson from the command line: the scheduler's next run
withdraws the occurrence's pending reminders, derives the moved one's, and tells the group."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bots.cli import main as ustaz
from models import Lesson, LessonChange, Notification
from models.store import session_scope
from scheduler.app import derive_once
from settings import Settings, get_settings
from tests.support.outbox import School, school

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
MONDAY = date(2025, 3, 3)
MORNING = datetime(2025, 3, 3, 9, 0, tzinfo=ALMATY)


def _setup(engine: Engine) -> School:
    with session_scope(engine) as session:
        s = school(session)
        session.add(
            Lesson(group_id=s.group_id, weekday=0, start_time=time(15, 0), link="https://meet.example/a")
        )
        return s


def _ustaz(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.db_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        ustaz(list(argv))
    except SystemExit as stop:
        return int(stop.code or 0)
    finally:
        get_settings.cache_clear()
    return 0


def _derive_day(engine: Engine, settings: Settings, now: datetime) -> None:
    """What the minute job does, over the days ahead (as after a restart or a re-import)."""
    derive_once(engine, settings, clock=lambda: now, lookahead=timedelta(days=3))


def _rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]


def test_cancel_from_the_command_line_withdraws_reminders_and_tells_the_group(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _setup(engine)
    _derive_day(engine, settings, MORNING)
    reminders = [r for r in _rows(engine) if r.kind.startswith("lesson.reminder")]
    assert len(reminders) == 2 * 5 and {r.status for r in reminders} == {"pending"}

    assert _ustaz(monkeypatch, settings, "lesson", "cancel", "--group", "NOPE", "--date", "2025-03-03") == 1
    tuesday = ("lesson", "cancel", "--group", "ALG-1", "--date", "2025-03-04", "--lang", "en")
    assert _ustaz(monkeypatch, settings, *tuesday) == 1
    assert "has no lesson on 04.03.2025" in capsys.readouterr().out
    code = _ustaz(monkeypatch, settings, "lesson", "cancel", "--group", "ALG-1", "--date", "2025-03-03",
                  "--lang", "en")  # fmt: skip
    assert code == 0 and "is cancelled" in capsys.readouterr().out

    for minute in (1, 2, 3):  # the job runs again and again: the group is told once
        _derive_day(engine, settings, MORNING + timedelta(minutes=minute))
    rows = _rows(engine)
    assert {r.status for r in rows if r.kind.startswith("lesson.reminder")} == {"cancelled"}
    told = [r for r in rows if r.kind == "lesson.changed"]
    assert sorted(r.person_id or 0 for r in told) == sorted([*s.pupils, s.tutor_id, s.assistant_id])
    assert {r.key for r in told} == {"notify.lesson.cancelled"} and all(r.urgent for r in told)
    # Each parent of a pupil with consent is told too, once, naming their child; not urgent, so it
    # waits for the end of quiet hours.
    families = [r for r in rows if r.kind == "lesson.changed.family"]
    assert sorted(r.person_id or 0 for r in families) == sorted(s.guardians)
    assert {r.key for r in families} == {"notify.lesson.changed_family"} and not any(
        r.urgent for r in families
    )
    assert {r.params["change"]["$t"] for r in families} == {"notify.lesson.cancelled"}
    assert sorted(r.about_pupil_id or 0 for r in families) == sorted(s.pupils)


def test_move_twice_keeps_only_the_latest_reminders_and_tells_the_group_each_time(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(engine)
    _derive_day(engine, settings, MORNING)
    move = ("lesson", "move", "--group", "ALG-1", "--date", "2025-03-03", "--time", "15:00")
    assert (
        _ustaz(monkeypatch, settings, *move, "--to", "2025-03-04 16:00", "--link", "https://meet.example/b")
        == 0
    )
    _derive_day(engine, settings, MORNING + timedelta(minutes=1))
    first = [r for r in _rows(engine) if r.kind.startswith("lesson.reminder") and r.status == "pending"]
    assert {r.due_at for r in first} == {
        datetime(2025, 3, 4, 15, 0, tzinfo=ALMATY),
        datetime(2025, 3, 4, 15, 50, tzinfo=ALMATY),
    }
    assert {r.params["link"] for r in first} == {"https://meet.example/b"}

    assert _ustaz(monkeypatch, settings, *move, "--to", "2025-03-05 17:00") == 0
    _derive_day(engine, settings, MORNING + timedelta(minutes=2))
    rows = _rows(engine)
    pending = [r for r in rows if r.kind.startswith("lesson.reminder") and r.status == "pending"]
    assert {r.due_at for r in pending} == {
        datetime(2025, 3, 5, 16, 0, tzinfo=ALMATY),
        datetime(2025, 3, 5, 16, 50, tzinfo=ALMATY),
    }
    status = {r.id: r.status for r in rows}
    assert len(pending) == 10 and {status[r.id] for r in first} == {"cancelled"}
    told = [r for r in rows if r.kind == "lesson.changed"]
    assert sorted({(r.params["new_date"], r.params["new_time"]) for r in told}) == [
        ("04.03", "16:00"),
        ("05.03", "17:00"),
    ]
    assert len(told) == 2 * 5
    families = [r for r in rows if r.kind == "lesson.changed.family"]
    assert len(families) == 2 * 3  # each version of the move, to each of the three parents
    with Session(engine) as session:
        (change,) = session.exec(select(LessonChange)).all()
    assert change.moved_to == datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
