"""Reported problems through the handlers' entry point: a parent or pupil says why a lesson is missed,
the reason lands on the attendance row, the tutor and class teacher hear of it, the tutor or
assistant marks it excused, and two missed lessons in a row alert the class teacher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import monitoring
from models import Attendance, Lesson
from models.store import session_scope
from tests.support.homework import World, keys
from tests.support.threads import ALMATY, WEDNESDAY, build_school, messages, rendered, threads, to

pytestmark = pytest.mark.flow
MONDAY, TODAY = date(2026, 3, 16), date(2026, 3, 18)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield build_school(engine, tmp_path / "media")


def a1_lesson(world: World, weekday: int) -> int:
    with Session(world.engine) as session:
        lesson = session.exec(
            select(Lesson).where(Lesson.group_id == world.groups["A1"], Lesson.weekday == weekday)
        ).one()
        assert lesson.id is not None
        return lesson.id


def rows(world: World) -> list[Attendance]:
    with Session(world.engine) as session:
        return list(session.exec(select(Attendance).order_by(col(Attendance.id))).all())


def report(world: World, who: str, kind: str, lesson: str) -> list[str]:
    """/problem, the kind, the lesson ("mon", "wed" or "none"): the keys of the last answer."""
    pupil = world.ids["p1"]
    [ask_kind] = world.say(who, "/problem")
    assert ask_kind.text.key == "problems.ask_kind"
    [ask_lesson] = world.press(who, f"prb:kind:{pupil}:{kind}")
    values = [c.value for c in ask_lesson.choices]
    wanted = {
        "mon": f"prb:lesson:{pupil}:{kind}:{a1_lesson(world, 0)}:{MONDAY.isoformat()}",
        "wed": f"prb:lesson:{pupil}:{kind}:{a1_lesson(world, 2)}:{TODAY.isoformat()}",
        "none": f"prb:lesson:{pupil}:{kind}:none",
    }
    assert values == [wanted["mon"], wanted["wed"], wanted["none"]]
    return keys(world.press(who, wanted[lesson]))


def test_a_parent_reports_an_illness_before_the_lesson(world: World) -> None:
    assert report(world, "g1", "ill", "wed") == ["problems.recorded"]
    [row] = rows(world)
    assert (row.on_date, row.status, row.reason, row.reported_by, row.excused) == (
        TODAY,
        "absent",
        "ill",
        world.ids["g1"],
        None,
    )
    [tutor] = to(world, "t1", "problem.reported")
    [teacher] = to(world, "ct1", "problem.reported")
    assert "Reason: ill" in rendered(tutor) and "/absences" in rendered(tutor) and not tutor.urgent
    assert "Нұрлан Сейітов" in rendered(teacher) and "15:00" in rendered(teacher)
    [thread] = threads(world)
    assert thread.staff_id == world.ids["t1"] and thread.waiting_since is None  # news, not a question
    [problem] = messages(world)
    assert problem.kind == "problem"


def test_the_tutor_sees_the_reason_marks_absent_without_a_notice_and_excuses_it(world: World) -> None:
    report(world, "g1", "no_internet", "wed")
    with time_machine.travel(WEDNESDAY.replace(hour=16), tick=True):
        sheet = world.say("t1", "/attendance")
        if sheet[0].text.key == "attendance.ask_lesson":
            sheet = world.press("t1", sheet[0].choices[0].value)
        line = next(r for r in sheet if r.text.params.get("pupil") == "Нұрлан Сейітов")
        assert line.text.render("en").endswith("absent — no internet (not decided yet)")
        values = [c.value for c in line.choices]
        [row] = rows(world)
        assert values[-2:] == [f"abs:yes:{row.id}", f"abs:no:{row.id}"]
        world.press("t1", next(v for v in values if v.endswith(":a")))
        assert world.outbox("attendance.absent") == []  # the parent told us; no notice back
        [decided] = world.press("t1", f"abs:yes:{row.id}")
    assert decided.text.key == "problems.decided"
    assert rows(world)[0].excused is True and rows(world)[0].excused_by == world.ids["t1"]
    [told] = to(world, "g1", "problem.decided")
    assert "уважительная" in rendered(told, "ru")


def test_the_assistant_decides_from_absences_and_another_tutor_may_not(world: World) -> None:
    report(world, "p1", "device", "mon")
    [row] = rows(world)
    assert keys(world.press("t2", f"abs:no:{row.id}")) == ["common.not_allowed"]
    [pending] = world.say("a1", "/absences")
    assert pending.text.key == "problems.pending" and len(pending.choices) == 2
    assert keys(world.press("a1", f"abs:no:{row.id}")) == ["problems.decided"]
    assert rows(world)[0].excused is False
    assert keys(world.say("a1", "/absences")) == ["problems.none_pending"]
    assert keys(world.say("g1", "/absences")) == ["common.not_allowed"]


def test_two_missed_lessons_in_a_row_alert_the_class_teacher_with_the_reasons(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            Attendance(
                lesson_id=a1_lesson(world, 0), on_date=MONDAY, pupil_id=world.ids["p1"], status="absent"
            )
        )
    report(world, "g1", "ill", "wed")
    assert to(world, "ct1", "attendance.streak") == []  # today's lesson has not happened yet
    with time_machine.travel(WEDNESDAY.replace(hour=16), tick=True):
        sheet = world.say("t1", "/attendance")
        if sheet[0].text.key == "attendance.ask_lesson":
            sheet = world.press("t1", sheet[0].choices[0].value)
        line = next(r for r in sheet if r.text.params.get("pupil") == "Нұрлан Сейітов")
        absent = next(c.value for c in line.choices if c.value.endswith(":a"))
        world.press("t1", absent)
        world.press("t1", absent)
    [alert] = to(world, "ct1", "attendance.streak")
    text = rendered(alert)
    assert (
        "Нұрлан Сейітов" in text and "16.03 15:00 — no reason given" in text and "18.03 15:00 — ill" in text
    )


def test_something_else_asks_for_a_few_words(world: World) -> None:
    assert report(world, "g1", "other", "mon") == ["problems.ask_note"]
    assert keys(world.say("g1", "Ездили к бабушке в аул")) == ["problems.recorded"]
    assert rows(world)[0].reason_note == "Ездили к бабушке в аул"


def test_a_problem_with_no_lesson_goes_to_the_assistant(world: World) -> None:
    assert report(world, "g1", "no_internet", "none") == ["threads.sent.assistant"]
    assert rows(world) == []
    [notice] = to(world, "a1", "problem.reported")
    assert "Проблема: нет интернета" in rendered(notice, "ru")
    assert threads(world)[0].waiting_since is not None


def test_the_word_and_a_message_about_illness_lead_to_the_report(world: World) -> None:
    [question] = world.say("g1", "Ребёнок заболел, температура")
    assert question.choices[-1].value == "prb:start:"
    assert keys(world.press("g1", "prb:start:")) == ["problems.ask_kind"]
    pupil = world.ids["p1"]
    world.press("g1", f"prb:kind:{pupil}:ill")
    world.press("g1", f"prb:lesson:{pupil}:ill:{a1_lesson(world, 2)}:{TODAY.isoformat()}")
    assert rows(world)[0].reason_note == "Ребёнок заболел, температура"
    # The words reach the tutor once: in the problem, not again as a message of the thread.
    [problem] = to(world, "t1", "problem.reported")
    assert "Ребёнок заболел, температура" in rendered(problem, "ru")
    assert to(world, "t1", "thread.to_staff") == []
    assert keys(world.say("g1", "Проблема!")) == ["problems.ask_kind"]
    assert keys(world.say("g1", "мәселе")) == ["problems.ask_kind"]


def test_the_dashboard_lists_reported_problems_and_excused_absences(world: World) -> None:
    report(world, "g1", "ill", "mon")
    [row] = rows(world)
    world.press("t1", f"abs:yes:{row.id}")
    with Session(world.engine) as session:
        scope = monitoring.scope_of(session, world.ids["c1"])
        assert scope is not None
        problems = monitoring.table(session, scope, "problems", ALMATY, datetime.now(ALMATY))
        attendance = monitoring.table(session, scope, "attendance", ALMATY, datetime.now(ALMATY))
    [line] = problems.rows
    assert line[0] == MONDAY and line[2] == "Нұрлан Сейітов"
    assert [cell.render("en") for cell in line[4:6]] == ["absent", "ill"]  # type: ignore[union-attr]
    assert line[7].render("en") == "excused"  # type: ignore[union-attr]
    assert attendance.rows[0][-1] == 1  # one excused absence that week
