"""The calendar in the plan: lessons on a holiday are cancelled and told once; a school-marked working
day keeps them; a Kazpost round on a Sunday moves to Monday and says so; a range of dates cancelled
from the command line is told once per group; a deadline typed for a Sunday moves to Monday."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from locales import translate
from models import CalendarEntry, Homework, Lesson, LessonChange, Notification, PostalRound, School
from models.calendar import CalendarKind
from models.school import TutoringGroup
from models.store import session_scope
from outbox.write import stored_text
from record.occurrences import between
from scheduler.app import derive_once
from scheduler.coordinator import set_postal_schedule
from settings import Settings
from tests.handlers.test_postal import _ustaz, class_8a
from tests.support.homework import build_world
from tests.support.outbox import school

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
INDEPENDENCE_DAY = date(2026, 12, 16)  # a Wednesday


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY)


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def rows(engine: Engine, *kinds: str) -> list[Notification]:
    with Session(engine) as session:
        query = select(Notification).order_by(col(Notification.id))
        if kinds:
            query = query.where(col(Notification.kind).in_(kinds))
        return list(session.exec(query).all())


def wednesday_group(
    engine: Engine, *, school_code: str | None = None
) -> tuple[int, list[int], list[int], int, int]:
    """A group of three pupils (two with consent) with a lesson every Wednesday at 15:00; with
    `school_code`, the group belongs to that school (no calendar entries of its own yet)."""
    with session_scope(engine) as session:
        s = school(session, consenting=2)
        if school_code:
            row = School(code=school_code, name="№2")
            session.add(row)
            session.flush()
            group = session.get(TutoringGroup, s.group_id)
            assert group is not None
            group.school_id = row.id
        session.add(
            Lesson(group_id=s.group_id, weekday=2, start_time=time(15, 0), link="https://meet.example/a")
        )
        return s.group_id, s.pupils, s.guardians, s.tutor_id, s.assistant_id


def test_a_holiday_cancels_the_lesson_and_families_and_tutors_are_told_once(
    engine: Engine, settings: Settings
) -> None:
    _group, pupils, guardians, tutor, assistant = wednesday_group(engine)
    # Four days before: nothing yet. Three days before the lesson: the notice, once however often.
    assert derive_once(engine, settings, clock=lambda: at(INDEPENDENCE_DAY, 15) - timedelta(days=4)) == 0
    for minute in (1, 2, 30, 200):
        derive_once(
            engine,
            settings,
            clock=fixed(at(INDEPENDENCE_DAY, 15) - timedelta(days=3) + timedelta(minutes=minute)),
        )
    told = rows(engine, "lesson.days_off", "lesson.days_off.staff")
    # pupils 0 and 1 have consent, pupil 2 not (nor is their parent told about them)
    assert sorted(n.person_id or 0 for n in told) == sorted([*pupils[:2], *guardians[:2], tutor, assistant])
    family = next(n for n in told if n.person_id == guardians[0])
    assert family.about_pupil_id == pupils[0] and not family.urgent
    assert stored_text(family).render("kk") == (
        "Назар аударыңыз: 16.12 күндері Алгебра сабағы болмайды — Тәуелсіздік күні.\n"
        "Осы күндері еске салу келмейді."
    )
    staff = next(n for n in told if n.person_id == tutor)
    assert stored_text(staff).render("ru").startswith("Группа ALG-1: занятия «Алгебра» 16.12 не состоятся")

    # The day itself: no reminders, no attendance prompt; a week later everything as usual.
    for day in (INDEPENDENCE_DAY, INDEPENDENCE_DAY + timedelta(days=7)):
        for minute in range(0, 24 * 60, 30):
            derive_once(engine, settings, clock=fixed(at(day, 0) + timedelta(minutes=minute)))
    reminders = rows(engine, "lesson.reminder", "lesson.reminder.staff", "attendance.prompt")
    assert reminders and all("2026-12-23" in n.idempotency_key for n in reminders)
    assert len(rows(engine, "lesson.days_off", "lesson.days_off.staff")) == len(told)


def test_a_school_marked_working_day_keeps_its_lessons(engine: Engine, settings: Settings) -> None:
    group_id, _pupils, _guardians, tutor, _assistant = wednesday_group(engine, school_code="SH2")
    with session_scope(engine) as session:
        group = session.get(TutoringGroup, group_id)
        assert group is not None and group.school_id is not None
        session.add(
            CalendarEntry(
                school_id=group.school_id,
                kind=CalendarKind.WORKING_DAY,
                starts=INDEPENDENCE_DAY,
                ends=INDEPENDENCE_DAY,
                name="Олимпиадаға дайындық",
            )
        )
    derive_once(engine, settings, clock=lambda: at(INDEPENDENCE_DAY, 12))
    derive_once(engine, settings, clock=lambda: at(INDEPENDENCE_DAY, 14, 5))
    assert rows(engine, "lesson.days_off", "lesson.days_off.staff") == []
    reminders = rows(engine, "lesson.reminder.staff")
    assert {n.person_id for n in reminders} >= {tutor}
    assert all("2026-12-16" in n.idempotency_key for n in reminders)


def test_a_kazpost_round_on_a_sunday_opens_for_monday_and_the_notice_says_so(
    engine: Engine, settings: Settings
) -> None:
    c = class_8a(engine)
    sunday = date(2026, 12, 6)
    with session_scope(engine) as session:
        set_postal_schedule(session, class_name="8А", teacher="T-01", anchor=sunday, interval_days=14)
    # Two days before the Sunday it would have opened; two days before Monday it does.
    assert derive_once(engine, settings, clock=lambda: at(sunday - timedelta(days=2), 10, 5)) == 0
    assert derive_once(engine, settings, clock=lambda: at(sunday - timedelta(days=1), 10, 5)) > 0
    derive_once(engine, settings, clock=lambda: at(sunday, 10, 5))  # the next day: nothing again
    with Session(engine) as session:
        (round_,) = session.exec(select(PostalRound)).all()
    assert round_.collection_date == date(2026, 12, 7)
    notices = rows(engine, "postal.notice")
    assert sorted(n.person_id or 0 for n in notices) == sorted([c.guardians[0], c.guardians[2]])
    first_line = stored_text(notices[0]).render("kk").splitlines()[0]
    assert first_line == (
        "Қазпошта арқылы жұмыс жинау: 07.12.2026 (06.12 жексенбіге түсті, сондықтан дүйсенбіге ауыстырылды)."
    )
    teacher_list = next(n for n in rows(engine, "postal.list") if n.idempotency_key.endswith(":text:"))
    assert "(06.12 жексенбіге түсті, сондықтан дүйсенбіге ауыстырылды)" in stored_text(teacher_list).render(
        "kk"
    )


def test_a_range_cancelled_from_the_command_line_is_told_once_per_group(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    group_id, pupils, guardians, tutor, assistant = wednesday_group(engine)
    with session_scope(engine) as session:
        session.add(Lesson(group_id=group_id, weekday=4, start_time=time(16, 0)))  # and Fridays
    with time_machine.travel(at(date(2026, 12, 1), 9), tick=False):
        assert _ustaz(monkeypatch, settings, "lesson", "cancel", "--group", "ALG-1", "--date", "2026-12-07",
                      "--until", "2026-12-11", "--reason", "Карантин", "--lang", "en") == 0  # fmt: skip
        assert (
            "Lessons from 07.12.2026 to 11.12.2026 are cancelled (groups: 1, lessons: 2)"
            in capsys.readouterr().out
        )
        assert _ustaz(monkeypatch, settings, "lesson", "cancel", "--group", "ALG-1", "--date", "2026-11-20",
                      "--until", "2026-11-27", "--lang", "en") == 1  # fmt: skip
        assert translate("en", "calendar.range.past") in capsys.readouterr().out
        assert _ustaz(monkeypatch, settings, "lesson", "cancel", "--date", "2026-12-14",
                      "--until", "2026-12-18", "--lang", "en") == 1  # fmt: skip
        assert translate("en", "calendar.cli.group_or_school") in capsys.readouterr().out
    with Session(engine) as session:
        changes = session.exec(select(LessonChange)).all()
    assert (
        len(changes) == 2
        and len({c.batch for c in changes}) == 1
        and {c.reason for c in changes} == {"Карантин"}
    )

    for hour in (9, 10, 15):
        derive_once(engine, settings, clock=fixed(at(date(2026, 12, 6), hour)))
    told = rows(engine, "lesson.days_off", "lesson.days_off.staff")
    assert sorted(n.person_id or 0 for n in told) == sorted([*pupils[:2], *guardians[:2], tutor, assistant])
    pupil = next(n for n in told if n.person_id == pupils[0])
    assert stored_text(pupil).render("en") == (
        "Please note: no Algebra lessons on 09.12, 11.12 — Карантин.\n"
        "There will be no reminders on those days."
    )
    for day in (date(2026, 12, 9), date(2026, 12, 11)):
        derive_once(engine, settings, clock=fixed(at(day, 14, 30)))
    assert rows(engine, "lesson.reminder", "lesson.reminder.staff") == []


def test_a_deadline_typed_for_a_sunday_moves_to_monday_and_the_tutor_and_pupils_see_why(
    engine: Engine, tmp_path: Path
) -> None:
    world = build_world(engine, tmp_path / "media")
    with session_scope(engine) as session:
        session.execute(delete(CalendarEntry))  # this test is about the calendar: the national one
    with time_machine.travel(at(date(2026, 12, 3), 10), tick=False):
        world.say("t1", "/homework")
        world.press("t1", f"hw:group:{world.groups['A1']}")
        world.say("t1", "Есеп 1–5")
        world.say("t1", "06.12.2026 18:00")
        [summary] = world.press("t1", "hw:kind:none")
        due = summary.text.params["due"]
        assert (
            translate("kk", "homework.summary", **{**summary.text.params, "due": due}).count(
                "07.12.2026 18:00 (06.12 жексенбіге түсті, сондықтан дүйсенбіге ауыстырылды)"
            )
            == 1
        )
        world.press("t1", "hw:confirm:yes")
    with Session(engine) as session:
        (homework,) = session.exec(select(Homework)).all()
    assert homework.due_at.astimezone(UTC) == at(date(2026, 12, 7), 18).astimezone(UTC)
    notice = world.outbox("homework.new")[0]
    assert "(06.12 — воскресенье, поэтому перенесено на понедельник)" in stored_text(notice).render("ru")


def test_a_familys_lessons_ahead_show_the_holidays_lesson_as_cancelled(engine: Engine) -> None:
    """/timetable, the catch-up and the digest read `record.occurrences`: the lesson on Independence
    Day is listed as cancelled, the Wednesdays around it as timetabled."""
    group, *_ = wednesday_group(engine)
    with Session(engine) as session:
        slots = between(session, {group}, at(date(2026, 12, 9), 0), at(date(2026, 12, 24), 0), ALMATY)
    assert [(slot.on_date, slot.cancelled) for slot in slots] == [
        (date(2026, 12, 9), False),
        (INDEPENDENCE_DAY, True),
        (date(2026, 12, 23), False),
    ]
