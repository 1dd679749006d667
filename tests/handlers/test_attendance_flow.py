"""Attendance, in-process through the handlers' entry point on a real store: the tutor marks each
pupil with one tap, an absence becomes an evening notice to the guardians, and the scheduler asks
the tutor once a lesson has ended."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Attendance, Lesson, LessonChange, Notification
from models.clock import utcnow
from models.store import session_scope
from outbox.write import stored_text
from scheduler.jobs import DeriveOptions, derive_due
from settings import Settings
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys

pytestmark = pytest.mark.flow


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def marks(staff: StaffWorld) -> dict[int, str]:
    with Session(staff.engine) as session:
        return {row.pupil_id: row.status for row in session.exec(select(Attendance)).all()}


def lesson_value(staff: StaffWorld, group: str = "A1") -> str:
    return f"{staff.lessons[group]}:{staff.lesson_date.isoformat()}"


def test_the_tutor_gets_the_group_list_and_marks_each_pupil_with_one_tap(staff: StaffWorld) -> None:
    sheet = staff.say("t1", "/attendance")
    assert keys(sheet) == ["attendance.sheet"] + ["attendance.pupil"] * 3
    assert sheet[0].text.params["group"] == "A1"
    pupil_rows = {reply.text.params["pupil"]: reply for reply in sheet[1:]}
    p1_buttons = [c.value for c in pupil_rows["Нұрлан Сейітов"].choices]
    key = lesson_value(staff)
    assert p1_buttons == [f"att:m:{key}:{staff.ids['p1']}:{code}" for code in ("p", "l", "a")]

    assert keys(staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:p")) == ["attendance.marked"]
    assert keys(staff.press("t1", f"att:m:{key}:{staff.ids['p2']}:l")) == ["attendance.marked"]
    done = staff.press("t1", f"att:m:{key}:{staff.ids['p3']}:p")
    assert keys(done) == ["attendance.marked", "attendance.complete"]
    assert done[1].text.params == {"group": "A1", "present": 2, "late": 1, "absent": 0}
    assert marks(staff) == {staff.ids["p1"]: "present", staff.ids["p2"]: "late", staff.ids["p3"]: "present"}
    with Session(staff.engine) as session:
        row = session.exec(select(Attendance).where(Attendance.pupil_id == staff.ids["p2"])).one()
        assert row.marked_by == staff.ids["t1"] and row.on_date == staff.lesson_date
    assert staff.outbox("attendance.absent") == []


def test_all_present_marks_only_those_not_yet_marked(staff: StaffWorld) -> None:
    key = lesson_value(staff)
    staff.press("t1", f"att:m:{key}:{staff.ids['p2']}:l")
    replies = staff.press("t1", f"att:all:{key}")
    assert keys(replies) == ["attendance.all_marked", "attendance.complete"]
    assert replies[0].text.params["count"] == 2
    assert marks(staff)[staff.ids["p2"]] == "late"


def test_an_absence_notifies_the_guardian_this_evening_and_a_correction_withdraws_it(
    staff: StaffWorld,
) -> None:
    key = lesson_value(staff)
    replies = staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:a")
    assert keys(replies) == ["attendance.marked_absent"] and replies[0].text.params["notified"] == 1
    [notice] = staff.outbox("attendance.absent")
    assert notice.person_id == staff.ids["g1"] and notice.about_pupil_id == staff.ids["p1"]
    evening = datetime.combine(staff.lesson_date, time(19, 0), tzinfo=staff.config.time_zone)
    assert notice.due_at >= min(evening, utcnow() - timedelta(minutes=1))
    assert "Нұрлан Сейітов" in stored_text(notice).render("ru")
    # A second tap on "absent" writes nothing more.
    assert keys(staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:a")) == ["attendance.marked"]
    assert len(staff.outbox("attendance.absent")) == 1
    # Corrected to present: the pending notice is withdrawn; absent again: a fresh one.
    staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:p")
    assert [n.status for n in staff.outbox("attendance.absent")] == ["cancelled"]
    staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:a")
    assert [n.status for n in staff.outbox("attendance.absent")] == ["cancelled", "pending"]


def test_an_absent_pupil_without_consent_is_marked_but_nobody_is_told(staff: StaffWorld) -> None:
    replies = staff.press("t1", f"att:m:{lesson_value(staff)}:{staff.ids['p3']}:a")
    assert replies[0].text.params["notified"] == 0
    assert marks(staff) == {staff.ids["p3"]: "absent"}
    assert staff.outbox("attendance.absent") == []


def test_a_cancelled_lesson_is_not_offered_and_cannot_be_marked(staff: StaffWorld) -> None:
    with session_scope(staff.engine) as session:
        session.add(LessonChange(lesson_id=staff.lessons["A1"], on_date=staff.lesson_date, cancelled=True))
    assert keys(staff.say("t1", "/attendance")) == ["attendance.no_lessons"]
    replies = staff.press("t1", f"att:m:{lesson_value(staff)}:{staff.ids['p1']}:p")
    assert keys(replies) == ["common.not_allowed"] and marks(staff) == {}


def test_with_several_lessons_the_tutor_chooses_one(staff: StaffWorld) -> None:
    with session_scope(staff.engine) as session:
        lesson = session.get(Lesson, staff.lessons["A1"])
        assert lesson is not None
        earlier = (lesson.weekday - 1) % 7
        session.add(Lesson(group_id=lesson.group_id, weekday=earlier, start_time=time(15, 0)))
    ask = staff.say("t1", "/attendance")
    assert keys(ask) == ["attendance.ask_lesson"] and len(ask[0].choices) == 2
    assert ask[0].choices[0].value == f"att:l:{lesson_value(staff)}"  # the newest first
    assert keys(staff.press("t1", ask[0].choices[0].value))[0] == "attendance.sheet"


def test_the_scheduler_asks_the_tutor_once_the_lesson_has_ended(staff: StaffWorld) -> None:
    with Session(staff.engine) as session:
        lesson = session.get(Lesson, staff.lessons["A1"])
        assert lesson is not None
        start = datetime.combine(staff.lesson_date, lesson.start_time, tzinfo=staff.config.time_zone)
    ends = start + timedelta(minutes=60)
    with session_scope(staff.engine) as session:
        derive_due(
            session,
            ends - timedelta(minutes=30),
            ends - timedelta(minutes=1),
            now=ends - timedelta(minutes=5),
            options=DeriveOptions.from_settings(Settings()),
        )
    assert staff.outbox("attendance.prompt") == []  # not before the lesson ends
    for _ in range(2):  # derived again: still one prompt
        with session_scope(staff.engine) as session:
            derive_due(
                session,
                ends - timedelta(minutes=5),
                ends + timedelta(minutes=2),
                now=ends + timedelta(minutes=1),
                options=DeriveOptions.from_settings(Settings()),
            )
    prompts = staff.outbox("attendance.prompt")
    assert sorted(n.person_id or 0 for n in prompts) == sorted([staff.ids["t1"], staff.ids["t2"]])
    assert prompts[0].urgent and "/attendance" in stored_text(prompts[0]).render("kk")
    with Session(staff.engine) as session:
        keys_ = session.exec(select(Notification.idempotency_key).order_by(col(Notification.id))).all()
    assert (
        f"attendance-prompt:{staff.lessons['A1']}:{staff.lesson_date.isoformat()}:{staff.ids['t1']}:" in keys_
    )
