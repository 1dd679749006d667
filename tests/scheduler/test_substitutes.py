"""Substitutes: the coordinator names one from the command line; for those days reminders, prompts
and lists go to the substitute, the pupils' reminders name them, the substitute marks and grades,
and the group's own tutor reads but does not act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import translate
from models import Attendance, Lesson, Membership, Person, School, Substitution
from models.clock import utcnow
from models.store import session_scope
from outbox.write import stored_text
from scheduler.app import derive_once
from settings import Settings
from tests.handlers.test_postal import _ustaz
from tests.scheduler.test_calendar_plan import at, fixed, rows
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys, page_image
from tests.support.outbox import school

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
WEDNESDAY = date(2026, 12, 9)


@dataclass(frozen=True)
class Cast:
    group: int
    tutor: int
    assistant: int
    substitute: int
    pupils: list[int]
    guardians: list[int]


def group_with_substitute_at_hand(engine: Engine) -> Cast:
    """Group ALG-1 (a Wednesday lesson at 15:00), its tutor and assistant, and another tutor, S-01."""
    with session_scope(engine) as session:
        s = school(session, consenting=2)
        row = School(code="SH2", name="№2")
        session.add(row)
        session.flush()
        assert row.id is not None
        substitute = Person(external_id="S-01", full_name="Сания Орынбаева", locale="kk")
        session.add(substitute)
        session.flush()
        assert substitute.id is not None
        session.add(Membership(person_id=substitute.id, role="tutor", school_id=row.id))
        session.add(
            Lesson(group_id=s.group_id, weekday=2, start_time=time(15, 0), link="https://meet.example/a")
        )
        return Cast(s.group_id, s.tutor_id, s.assistant_id, substitute.id, s.pupils, s.guardians)


def test_the_coordinator_names_a_substitute_and_their_days_go_to_them(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = group_with_substitute_at_hand(engine)
    pupils, guardians = ids.pupils, ids.guardians
    with time_machine.travel(at(date(2026, 12, 1), 9), tick=False):
        assert _ustaz(monkeypatch, settings, "substitute", "set", "--group", "ALG-1",
                      "--tutor", "ALG-1-assistant", "--from", "2026-12-07", "--until", "2026-12-11",
                      "--lang", "en") == 1  # fmt: skip
        assert "is not a digital tutor" in capsys.readouterr().out
        assert _ustaz(monkeypatch, settings, "substitute", "set", "--group", "ALG-1", "--tutor", "S-01",
                      "--from", "2026-12-07", "--until", "2026-12-11", "--lang", "en") == 0  # fmt: skip
        assert (
            "Сания Орынбаева substitutes for group ALG-1 from 07.12.2026 to 11.12.2026"
            in capsys.readouterr().out
        )
        assert _ustaz(monkeypatch, settings, "substitute", "set", "--group", "ALG-1", "--tutor", "S-01",
                      "--from", "2026-12-10", "--until", "2026-12-14", "--lang", "en") == 1  # fmt: skip
        assert "already has a substitute from 07.12.2026 to 11.12.2026" in capsys.readouterr().out

    # Everyone concerned is told once, in the same transaction as the substitution.
    told = {
        n.person_id: n
        for n in rows(
            engine, *(f"substitute.assigned.{w}" for w in ("substitute", "tutor", "staff", "family"))
        )
    }
    assert set(told) == {ids.substitute, ids.tutor, ids.assistant, *pupils[:2], *guardians[:2]}
    to_substitute = stored_text(told[ids.substitute]).render("en")
    assert "From 07.12.2026 to 11.12.2026 you substitute for Name ALG-1-tutor" in to_substitute
    assert "Lessons: 09.12 15:00." in to_substitute
    family = stored_text(told[guardians[0]]).render("ru")
    assert family.startswith(
        "С 07.12.2026 по 11.12.2026 занятия «Алгебра» проводит замещающий наставник: Сания"
    )

    # During the range: the substitute's reminders and prompt; the pupils' reminders name them.
    for minute in range(0, 3 * 60, 5):
        derive_once(engine, settings, clock=fixed(at(WEDNESDAY, 13, 30) + timedelta(minutes=minute)))
    staff = rows(engine, "lesson.reminder.staff", "attendance.prompt")
    assert {(n.kind, n.person_id) for n in staff} == {
        ("lesson.reminder.staff", ids.substitute),
        ("lesson.reminder.staff", ids.assistant),
        ("attendance.prompt", ids.substitute),
    }
    pupil_reminders = rows(engine, "lesson.reminder")
    assert pupil_reminders and {n.key for n in pupil_reminders} == {"substitute.lesson.reminder"}
    assert "Сабақты алмастырушы ұстаз Сания Орынбаева жүргізеді." in stored_text(pupil_reminders[0]).render(
        "kk"
    )

    # A week later, past the range: the group's own tutor again, and a plain reminder.
    later = WEDNESDAY + timedelta(days=7)
    for minute in range(0, 3 * 60, 5):
        derive_once(engine, settings, clock=fixed(at(later, 13, 30) + timedelta(minutes=minute)))
    after = [
        n
        for n in rows(engine, "lesson.reminder.staff", "attendance.prompt")
        if "2026-12-16" in n.idempotency_key
    ]
    # 16 December is Independence Day: no lesson, so no reminder and no prompt for anyone.
    assert after == []
    with time_machine.travel(at(date(2026, 12, 10), 9), tick=False):
        assert _ustaz(monkeypatch, settings, "substitute", "end", "--group", "ALG-1", "--lang", "en") == 0
        assert "The substitution for group ALG-1 has ended" in capsys.readouterr().out
    with Session(engine) as session:
        (row,) = session.exec(select(Substitution)).all()
    assert row.ended_at is not None
    assert {n.person_id for n in rows(engine, "substitute.ended")} == {
        ids.substitute,
        ids.tutor,
        ids.assistant,
    }


@pytest.fixture
def staff(daytime: None, engine: Engine, tmp_path: Path) -> StaffWorld:
    """The staff world (A1 tutored by t1, a lesson two hours ago) with t2, the tutor of F1,
    substituting for A1 today. At 11:00 in Almaty: just after midnight there, the lesson two hours
    ago was yesterday's, outside the substitution."""
    world = build_staff_world(engine, tmp_path / "media")
    today = (utcnow() + timedelta(hours=5)).date()
    with session_scope(engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=today,
                ends=today + timedelta(days=2),
            )
        )
    return world


def test_the_substitute_marks_attendance_and_the_tutor_reads_only(staff: StaffWorld) -> None:
    key = f"{staff.lessons['A1']}:{staff.lesson_date.isoformat()}"
    ask = staff.say("t2", "/attendance")  # their own F1 and the A1 they substitute for
    assert keys(ask) == ["attendance.ask_lesson"] and len(ask[0].choices) == 2
    replies = staff.press("t2", f"att:m:{key}:{staff.ids['p1']}:a")
    assert keys(replies) == ["attendance.marked_absent"] and replies[0].text.params["notified"] == 1
    with Session(staff.engine) as session:
        (mark,) = session.exec(select(Attendance)).all()
    assert mark.marked_by == staff.ids["t2"]

    # The group's own tutor sees the sheet, but a tap says who marks these days.
    sheet = staff.press("t1", f"att:l:{key}")
    assert keys(sheet)[0] == "attendance.sheet"
    [refused] = staff.press("t1", f"att:m:{key}:{staff.ids['p2']}:p")
    assert refused.text.key == "substitute.read_only" and refused.text.params["person"] == "Дана Омарова"
    assert translate("en", refused.text.key, **refused.text.params).endswith("You can still read.")
    [refused_homework] = staff.press("t1", f"hw:group:{staff.groups['A1']}")
    assert refused_homework.text.key == "substitute.read_only"


def test_the_assistant_marks_attendance_on_a_substitutes_day_too(staff: StaffWorld) -> None:
    """The programme gives the assistant teacher attendance whoever tutors the group that day."""
    key = f"{staff.lessons['A1']}:{staff.lesson_date.isoformat()}"
    replies = staff.press("a1", f"att:m:{key}:{staff.ids['p2']}:l")
    assert keys(replies) == ["attendance.marked"]
    with Session(staff.engine) as session:
        (mark,) = session.exec(select(Attendance)).all()
    assert mark.marked_by == staff.ids["a1"] and mark.status == "late"


def test_the_substitute_reviews_and_grades_the_tutor_can_open_the_work_only(staff: StaffWorld) -> None:
    staff.homework("A1")
    staff.photos("p1", page_image())
    header, *_pages = staff.say("t1", "/review")  # read: the queue is theirs to see
    assert header.text.key == "review.item"
    submission = next(c.value for c in _pages[-1].choices if c.value.startswith("rv:grade:")).split(":")[-1]
    [refused] = staff.press("t1", f"rv:grade:{submission}")
    assert refused.text.key == "substitute.read_only"
    assert keys(staff.press("t1", f"rv:pdf:{submission}")) == ["review.pdf"]

    header2, *_pages2 = staff.say("t2", "/review")
    assert header2.text.params["group"] == "A1"
    asked = staff.press("t2", f"rv:grade:{submission}")
    assert keys(asked) == ["review.ask_score"]
