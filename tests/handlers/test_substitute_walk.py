"""The substitute tutor's days, walked through the handlers' entry point: a tutor named for group A1
this week sets its homework, grades a submission and corrects that grade, and decides a reported
absence — the steps the group's own tutor does, with no "not allowed" on the way; the own tutor is
told who has the group, and that deciding the absences and correcting the grades of those days is
the substitute's."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Attendance, Feedback, Lesson, Submission, Substitution, Thread
from models.clock import to_local, utcnow
from models.store import session_scope
from outbox.write import stored_text
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    """The homework world with t2 substituting for t1 in group A1 from yesterday to three days on,
    and A1 meeting today."""
    world = build_world(engine, tmp_path / "media")
    today = to_local(utcnow(), world.config.time_zone).date()
    with session_scope(engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=today - timedelta(days=1),
                ends=today + timedelta(days=3),
            )
        )
        session.add(Lesson(group_id=world.groups["A1"], weekday=today.weekday(), start_time=time(0, 1)))
    return world


def reported_absence(world: World, day: date) -> int:
    """p1's absence today, reported by the parent as an illness (as `/problem` writes it)."""
    with session_scope(world.engine) as session:
        lesson = session.exec(select(Lesson).where(Lesson.group_id == world.groups["A1"])).one()
        row = Attendance(
            lesson_id=lesson.id or 0,
            on_date=day,
            pupil_id=world.ids["p1"],
            status="absent",
            reason="ill",
            reported_by=world.ids["g1"],
        )
        session.add(row)
        session.flush()
        return row.id or 0


def test_the_substitute_sets_grades_corrects_and_decides_without_a_dead_end(world: World) -> None:
    # Homework: A1 is offered beside the substitute's own group.
    [ask_group] = world.say("t2", "/homework")
    assert f"hw:group:{world.groups['A1']}" in [choice.value for choice in ask_group.choices]
    world.say("t2", "/cancel")

    # A submission in A1: the substitute grades it …
    world.homework("A1")
    world.photos("p1", page_image())
    with Session(world.engine) as session:
        submission = session.exec(select(Submission).where(Submission.pupil_id == world.ids["p1"])).one()
    assert keys(world.say("t2", "/review"))[0] == "review.item"
    assert keys(world.press("t2", f"rv:grade:{submission.id}")) == ["review.ask_score"]
    assert keys(world.say("t2", "7")) == ["review.ask_comment"]
    assert keys(world.say("t2", "-"))[0] == "review.graded_as"
    # … and corrects a slip in it with /grades, as the own tutor would.
    [listed] = world.say("t2", "/grades")
    assert keys([listed]) == ["fix.ask"] and len(listed.choices) == 1
    # The own tutor still reads, and is told who has the group when they try to grade.
    assert keys(world.say("t1", "/review")) != ["common.not_allowed"]

    # A reported absence: the substitute sees it in /absences and decides it.
    today = to_local(utcnow(), world.config.time_zone).date()
    row_id = reported_absence(world, today)
    pending = world.say("t2", "/absences")
    assert keys(pending) == ["problems.pending"]
    assert [choice.value for choice in pending[0].choices] == [f"abs:yes:{row_id}", f"abs:no:{row_id}"]
    assert keys(world.press("t2", f"abs:yes:{row_id}")) == ["problems.decided"]
    with Session(world.engine) as session:
        decided = session.get(Attendance, row_id)
        assert decided is not None and decided.excused is True and decided.excused_by == world.ids["t2"]
    [told] = world.outbox("problem.decided")
    assert told.person_id == world.ids["g1"]


def test_after_the_substitution_the_substitute_decides_nothing_of_the_group(world: World) -> None:
    today = to_local(utcnow(), world.config.time_zone).date()
    row_id = reported_absence(world, today)
    with session_scope(world.engine) as session:
        substitution = session.exec(select(Substitution)).one()
        substitution.ended_at = utcnow()  # ended early by the coordinator
    assert keys(world.press("t2", f"abs:yes:{row_id}")) == ["common.not_allowed"]
    assert keys(world.say("t2", "/grades")) == ["fix.none"]


def report_ill_today(world: World) -> None:
    """Нұрлан's mother reports him ill for today's A1 lesson with /problem (one child)."""
    [ask_kind] = world.say("g1", "/problem")
    kind = next(choice.value for choice in ask_kind.choices if choice.value.endswith(":ill"))
    [ask_lesson] = world.press("g1", kind)
    today = to_local(utcnow(), world.config.time_zone).date().isoformat()
    lesson = next(choice.value for choice in ask_lesson.choices if choice.value.endswith(today))
    assert keys(world.press("g1", lesson)) == ["problems.recorded"]


def test_a_problem_the_family_reports_for_the_substitutes_lesson_opens_its_thread_with_them(
    world: World,
) -> None:
    report_ill_today(world)
    with Session(world.engine) as session:
        [thread] = session.exec(select(Thread)).all()
    assert (thread.staff_id, thread.topic) == (world.ids["t2"], "substitute")
    told = {n.person_id: n for n in world.outbox("problem.reported")}
    # Who teaches the lesson hears of it in the family's thread, to decide it and answer …
    assert told[world.ids["t2"]].key == "problems.to_substitute"
    assert stored_text(told[world.ids["t2"]]).render("en").startswith(f"#{thread.id} · ⚠️ ")
    # … the own tutor reads that the substitute decides it and answers, with no reference to answer.
    own = stored_text(told[world.ids["t1"]]).render("en")
    assert told[world.ids["t1"]].key == "problems.to_tutor_substituted" and "#" not in own
    assert "The substitute tutor, Дана Омарова, decides whether the absence is excused" in own
    assert keys(world.say("t2", "/absences")) == ["problems.pending"]
    # The substitute answers the family in the problem's thread; the own tutor has none to answer in.
    assert keys(world.say("t2", f"#{thread.id} Жазылып кетсін!")) == ["threads.answered"]
    [answer] = world.outbox("thread.to_family")
    assert answer.person_id == world.ids["g1"] and "Жазылып кетсін!" in stored_text(answer).render("kk")
    assert keys(world.say("t1", f"#{thread.id} Мен де жазамын")) == ["threads.unknown_ref"]


def test_a_problem_for_the_own_tutors_lesson_stays_with_them(world: World) -> None:
    with session_scope(world.engine) as session:
        session.exec(select(Substitution)).one().ended_at = utcnow()
    report_ill_today(world)
    with Session(world.engine) as session:
        [thread] = session.exec(select(Thread)).all()
    assert (thread.staff_id, thread.topic) == (world.ids["t1"], "tutor")
    told = {n.person_id: n.key for n in world.outbox("problem.reported")}
    assert told[world.ids["t1"]] == "problems.to_tutor" and world.ids["t2"] not in told


def test_the_own_tutor_sees_the_substitutes_absences_without_buttons(world: World) -> None:
    today = to_local(utcnow(), world.config.time_zone).date()
    reported_absence(world, today)
    earlier = reported_absence(world, today - timedelta(days=3))  # before the substitution: theirs
    own, theirs = world.say("t1", "/absences")  # by day
    assert (theirs.choices, [choice.value for choice in own.choices]) == (
        (),
        [f"abs:yes:{earlier}", f"abs:no:{earlier}"],
    )
    assert theirs.text.render("en").endswith(
        "The substitute tutor, Дана Омарова, teaches this lesson and decides whether the absence is excused."
    )
    assert "Дана Омарова" not in own.text.render("en")
    # The sheet of today's lesson: the pupil's line says who decides, and carries no «excused» button.
    with Session(world.engine) as session:
        lesson = session.exec(select(Lesson).where(Lesson.group_id == world.groups["A1"])).one()
    sheet = world.press("t1", f"att:l:{lesson.id}:{today.isoformat()}")
    line = next(reply for reply in sheet if "Нұрлан" in reply.text.render("en"))
    assert "decided by the substitute tutor, Дана Омарова" in line.text.render("en")
    assert not [choice for choice in line.choices if choice.value.startswith("abs:")]
    # The substitute's list keeps the buttons, with no such line.
    listed = world.say("t2", "/absences")
    assert [len(reply.choices) for reply in listed] == [2, 2]
    assert not [reply for reply in listed if "Дана Омарова" in reply.text.render("en")]


def graded(world: World, tutor: str) -> int:
    """p1's work in A1, handed in and graded 7 by `tutor` through /review; the feedback's id."""
    world.homework("A1")
    world.photos("p1", page_image())
    with Session(world.engine) as session:
        submission = session.exec(
            select(Submission)
            .where(Submission.pupil_id == world.ids["p1"])
            .order_by(col(Submission.id).desc())
        ).first()
        assert submission is not None
    world.say(tutor, "/review")
    world.press(tutor, f"rv:grade:{submission.id}")
    world.say(tutor, "7")
    assert keys(world.say(tutor, "-"))[0] == "review.graded_as"
    with Session(world.engine) as session:
        feedback = session.exec(select(Feedback).where(Feedback.submission_id == submission.id)).one()
        return feedback.id or 0


def test_the_own_tutor_is_told_an_absence_of_the_substitutes_days_is_theirs(world: World) -> None:
    today = to_local(utcnow(), world.config.time_zone).date()
    theirs = reported_absence(world, today)
    [refused] = world.press("t1", f"abs:yes:{theirs}")
    assert refused.text.key == "substitute.absence_theirs"
    assert refused.text.render("en").startswith(
        f"From {(today - timedelta(days=1)):%d.%m} to {(today + timedelta(days=3)):%d.%m} group A1 is "
        "taught by a substitute tutor, Дана Омарова: whether an absence"
    )
    with Session(world.engine) as session:
        undecided = session.get(Attendance, theirs)
        assert undecided is not None and undecided.excused is None
    assert world.outbox("problem.decided") == []
    # A day before the substitution is still the own tutor's to decide.
    earlier = reported_absence(world, today - timedelta(days=3))
    assert keys(world.press("t1", f"abs:no:{earlier}")) == ["problems.decided"]


def test_the_own_tutor_is_told_a_grade_of_the_substitutes_days_is_theirs_until_it_ends(world: World) -> None:
    today = to_local(utcnow(), world.config.time_zone).date()
    with time_machine.travel(utcnow() - timedelta(days=3), tick=True):  # before the substitution
        own = graded(world, "t1")
    theirs = graded(world, "t2")
    [listed] = world.say("t1", "/grades")
    assert {f"fix:pick:{own}", f"fix:pick:{theirs}"} <= {choice.value for choice in listed.choices}
    # The substitute's grade: the own tutor is told whose it is, and nothing changes.
    [refused] = world.press("t1", f"fix:pick:{theirs}")
    assert refused.text.key == "substitute.grade_theirs"
    assert f"{today + timedelta(days=3):%d.%m}" in refused.text.render("en")
    assert "Дана Омарова" in refused.text.render("en")
    assert keys(world.press("t2", f"fix:pick:{theirs}")) == ["fix.ask_score"]
    world.say("t2", "/cancel")
    # The own tutor's grade of before stays theirs to correct.
    assert keys(world.press("t1", f"fix:pick:{own}")) == ["fix.ask_score"]
    world.say("t1", "/cancel")
    # Once the substitution is over, the group's grades are the own tutor's again.
    with session_scope(world.engine) as session:
        session.exec(select(Substitution)).one().ended_at = utcnow()
    assert keys(world.press("t1", f"fix:pick:{theirs}")) == ["fix.ask_score"]
