"""A pupil's and a parent's own record — /homework, /timetable, /grades, /attendance — through the
handlers' entry point: what each sees, page by page, and what the consent and family gates keep out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply
from locales import Lines, T
from models import Attendance, ChannelIdentity, Guardianship, Lesson, LessonChange, Submission
from models.clock import to_local, utcnow
from models.enums import HomeworkKind
from models.store import session_scope
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow
SMS_NUMBER = "+77017654321"


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def shown(reply: Reply, locale: str = "en") -> list[str]:
    """The lines of a record page, rendered."""
    lines = reply.text.params["lines"]
    assert isinstance(lines, Lines)
    return [line.render(locale) for line in lines.texts]


def grade(world: World, pupil: str, homework_id: int, comment: str, points: str) -> None:
    """The tutor grades the pupil's work of that homework, through /review."""
    with Session(world.engine) as session:
        submission = session.exec(
            select(Submission).where(
                Submission.pupil_id == world.ids[pupil], Submission.homework_id == homework_id
            )
        ).one()
    world.say("t1", "/review")
    world.press("t1", f"rv:grade:{submission.id}")
    world.say("t1", points)
    world.say("t1", comment)


def hand_in(world: World, pupil: str, homework_id: int, *, late: bool = False) -> None:
    with session_scope(world.engine) as session:
        session.add(
            Submission(homework_id=homework_id, pupil_id=world.ids[pupil], late=late, channel="telegram")
        )


def test_a_pupil_sees_to_do_late_under_review_and_graded_with_comment_and_score(world: World) -> None:
    now = utcnow()
    world.homework(text="Late one", due=now - timedelta(days=1))
    world.homework(text="Open one", due=now + timedelta(days=2))
    hand_in(world, "p1", world.homework(text="Handed in", due=now + timedelta(days=3)), late=True)
    graded = world.homework(
        text="Graded one", due=now + timedelta(days=4), kind=HomeworkKind.SUMMATIVE, max_points=20
    )
    world.photos("p1", page_image("white"))  # several open: which one?
    world.press("p1", f"hw:pick:{graded}")
    grade(world, "p1", graded, "Check task 4.", "17")

    [page] = world.say("p1", "/homework")
    assert page.text.key == "record.page" and page.locale == "kk"
    lines = shown(page)
    assert lines[0].startswith("⚠ Algebra · Late one — past due")
    assert lines[1].startswith("○ Algebra · Open one — due")
    assert lines[2].startswith("◷ Algebra · Handed in — handed in late, ")
    assert (
        lines[3]
        == "✓ Algebra · Graded one — unit summative, mark 5 (17/20 points, 85 %). Comment: Check task 4."
    )
    assert not page.choices  # four lines: one page


def test_pages_are_short_and_more_turns_them_and_sms_pages_are_shorter(world: World) -> None:
    now = utcnow()
    for n in range(7):
        world.homework(text=f"Task {n}", due=now + timedelta(days=n + 1))
    [first] = world.say("p1", "/homework")
    assert len(shown(first)) == 5 and first.text.params["counter"] == " (1/2)"
    [more] = first.choices
    assert more.label.key == "record.more"
    [second] = world.press("p1", more.value)
    assert [line.split(" — ")[0] for line in shown(second)] == ["○ Algebra · Task 5", "○ Algebra · Task 6"]
    assert not second.choices
    # "more" typed in any language is the choice offered
    [again] = world.say("p1", "/homework")
    assert shown(world.say("p1", "ещё")[0]) == shown(second)
    assert again.choices
    # By SMS a page holds three lines.
    with session_scope(world.engine) as session:
        session.add(ChannelIdentity(person_id=world.ids["p1"], channel="sms", address=SMS_NUMBER))
    inbound = Inbound(identity=Identity("sms", SMS_NUMBER), chat=Chat(SMS_NUMBER), text="/homework")
    [sms] = process(world.engine, inbound, world.config)
    assert len(shown(sms)) == 3 and sms.text.params["counter"] == " (1/3)"


def test_a_parent_chooses_the_child_and_sees_only_their_own(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(Guardianship(guardian_id=world.ids["g1"], pupil_id=world.ids["p4"]))
    world.homework(text="Algebra task")
    world.homework(group="F1", text="Physics task")
    [which] = world.say("g1", "/homework")
    assert which.text.key == "record.which_child"
    values = [c.value for c in which.choices]
    assert values == [f"rec:child:hw:{world.ids['p1']}", f"rec:child:hw:{world.ids['p4']}"]
    [page] = world.press("g1", values[1])
    assert page.locale == "ru" and page.text.params["title"].params["pupil"] == "Мадина Нурова"
    assert [line.split(" — ")[0] for line in shown(page, "ru")] == ["○ Физика · Physics task"]
    # Another family's child, by a forged button, is refused; so is a page of them.
    assert keys(world.press("g1", f"rec:child:hw:{world.ids['p2']}")) == ["common.not_allowed"]
    assert keys(world.press("g1", f"rec:more:gr:{world.ids['p2']}:0")) == ["common.not_allowed"]
    assert keys(world.press("p1", f"rec:child:hw:{world.ids['p2']}")) == ["common.not_allowed"]


def test_without_consent_a_pupil_is_told_a_parent_must_agree_and_a_parent_sees_nothing(world: World) -> None:
    world.homework(text="Algebra task")
    assert keys(world.say("p3", "/homework")) == ["consent.pupil_needs_parent"]
    assert keys(world.say("p3", "/timetable")) == ["consent.pupil_needs_parent"]
    [refused] = world.say("g3", "/grades")
    assert refused.text.key == "record.no_consent" and refused.text.params["pupil"] == "Ерлан Касымов"


def test_a_parent_sees_grades_with_the_mark_and_attendance_newest_first(world: World) -> None:
    summative = world.homework(text="Summative", kind=HomeworkKind.SUMMATIVE, max_points=20)
    world.photos("p1", page_image())
    grade(world, "p1", summative, "Молодец", "12")
    lesson_day = _add_lessons(world)
    [grades] = world.say("g1", "/grades")
    [line] = [text for text in shown(grades, "ru") if "четвертная" not in text]  # the quarter's: below
    assert "Алгебра · Summative — СОр, оценка: 3 (баллы: 12/20, 60 %)" in line
    assert line.endswith("Комментарий наставника: Молодец")
    with session_scope(world.engine) as session:
        lesson = session.exec(select(Lesson)).first()
        assert lesson is not None and lesson.id is not None
        for days, status in ((14, "absent"), (7, "present"), (0, "absent")):
            session.add(
                Attendance(
                    lesson_id=lesson.id,
                    on_date=lesson_day - timedelta(days=days),
                    pupil_id=world.ids["p1"],
                    status=status,
                    # The family reported illness for the first absence and the tutor excused it.
                    reason="ill" if days == 14 else None,
                    excused=True if days == 14 else None,
                )
            )
    [marks] = world.say("g1", "/attendance")
    first, second, third = shown(marks, "ru")
    assert first.endswith("Алгебра — нет на занятии") and second.endswith("Алгебра — на занятии")
    assert third.endswith("Алгебра — нет на занятии (причина: болезнь; уважительная)")
    assert shown(marks, "kk")[2].endswith("(себебі: ауырып қалды; себепті)")


def _add_lessons(world: World) -> date:
    """Lessons of A1 on the weekday of a day last week, at 18:00; that day."""
    today = to_local(utcnow(), world.config.time_zone).date()
    day = today - timedelta(days=1)
    with session_scope(world.engine) as session:
        session.add(
            Lesson(
                group_id=world.groups["A1"],
                weekday=day.weekday(),
                start_time=time(18),
                link="https://meet/a1",
            )
        )
    return day


def test_the_timetable_shows_the_next_lessons_with_links_cancelled_and_moved_ones_marked(
    world: World,
) -> None:
    zone = world.config.time_zone
    today = to_local(utcnow(), zone).date()
    first = today + timedelta(days=1)
    with session_scope(world.engine) as session:
        lesson = Lesson(
            group_id=world.groups["A1"], weekday=first.weekday(), start_time=time(18), link="https://meet/a1"
        )
        session.add(lesson)
        session.flush()
        assert lesson.id is not None
        session.add(LessonChange(lesson_id=lesson.id, on_date=first, cancelled=True))
        moved_to = datetime.combine(first + timedelta(days=8), time(19), zone)
        session.add(
            LessonChange(
                lesson_id=lesson.id,
                on_date=first + timedelta(days=7),
                moved_to=moved_to,
                link="https://meet/b",
            )
        )
    [page] = world.say("p2", "/timetable")
    lines = shown(page)
    assert lines[0].endswith("18:00 · Algebra — cancelled ✗")
    assert (
        lines[1].startswith(f"{(first + timedelta(days=8)).strftime('%a')} ")
        and "19:00 · Algebra — moved (was" in lines[1]
    )
    assert lines[1].endswith("\nLink: https://meet/b")
    assert len(lines) == 2  # two weeks ahead: the third occurrence is beyond


def test_the_timetable_pages_on_by_fortnights_and_stops_at_the_years_end(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            Lesson(group_id=world.groups["A1"], weekday=0, start_time=time(15), link="https://meet/a1")
        )
    with time_machine.travel(datetime(2026, 12, 7, 4, tzinfo=UTC), tick=True):  # a Monday, 09:00 in Almaty
        [now] = world.say("p1", "/timetable")
        [later] = now.choices
        assert later.label.key == "record.tt.later" and later.value == f"rec:more:tt:{world.ids['p1']}:0:1"
        [fortnight] = world.press("p1", later.value)
        assert fortnight.text.params["title"] == T(
            "record.tt.title_weeks", pupil="Нұрлан Сейітов", first="21.12", last="03.01"
        )
        assert [line.split(",")[0] for line in shown(fortnight)] == ["Mon 21.12", "Mon 28.12"]
        [winter] = world.press("p1", fortnight.choices[0].value)
        assert winter.text.params["title"].params["first"] == "04.01"
        assert shown(winter)[0].endswith("cancelled ✗")  # the winter holidays
        assert shown(winter)[1].startswith("Mon 11.01, 15:00 · Algebra\n")
        # A fortnight past the year's end (a button kept from the year before): the year's last one.
        [last] = world.press("p1", f"rec:more:tt:{world.ids['p1']}:0:99")
        assert last.text.params["title"].params["last"] == "25.05"
        assert shown(last)[-1] == "The academic year ends on 25.05.2027: there is no timetable beyond it yet."
        assert not last.choices
        # Another family's child, by a forged button, is refused.
        assert keys(world.press("g1", f"rec:more:tt:{world.ids['p2']}:0:1")) == ["common.not_allowed"]


def test_plain_words_and_the_menu_open_the_views(world: World) -> None:
    world.homework(text="Algebra task")
    assert keys(world.say("g1", "Оценки!")) == ["record.gr.empty"]
    assert keys(world.say("p1", "үй тапсырмалары")) == ["record.page"]
    assert keys(world.say("t1", "бағалар")) == ["fix.none"]  # the word is /grades: a tutor corrects grades
    assert keys(world.photos("p2", page_image())) == ["homework.receipt"]
    assert keys(world.say("p2", "Grades")) == ["record.gr.empty"]  # after a hand-in too
    [menu] = world.say("g1", "Меню")
    assert [c.value for c in menu.choices] == [
        "rec:view:gr",
        "rec:view:at",
        "rec:view:hw",
        "rec:view:tt",
        "sum:show",
        "thr:new:",
        "prb:start:",
    ]
    assert keys(world.say("g1", "3")) == ["record.page"]  # the third choice, typed: homework


def test_staff_are_refused_a_familys_views(world: World) -> None:
    assert keys(world.say("t2", "/grades")) == ["fix.none"]  # a tutor's /grades corrects their own grades
    assert keys(world.press("t2", f"rec:child:gr:{world.ids['p4']}")) == ["common.not_allowed"]


def test_a_parent_reads_the_quarter_mark_so_far_above_the_grades(world: World) -> None:
    """In a quarter of the school calendar (the 2nd of 2026–2027: from 02.11, its winter holidays
    included), /grades opens with each subject's quarter mark from the work due in it, by the
    programme's weights (Digital Tutor: ФО 25, СОр 25, СОч 50; a part with no work yet is left out of
    the total). In the summer, in no quarter, there is no such line."""
    now = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    world.config = replace(world.config, clock=lambda: now)
    summative = world.homework(
        text="Summative",
        kind=HomeworkKind.SUMMATIVE,
        max_points=20,
        due=datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
    )
    world.photos("p1", page_image())
    grade(world, "p1", summative, "Молодец", "12")
    [grades] = world.say("g1", "/grades")
    quarter, line = shown(grades, "ru")
    assert quarter == "Алгебра: четвертная оценка — 3 (60 %); ФО —/10, СОр 60 %, СОч — %"
    assert "Алгебра · Summative — СОр, оценка: 3 (баллы: 12/20, 60 %)" in line
    summer = datetime(2027, 7, 15, 6, 0, tzinfo=UTC)  # in no quarter: no quarter line
    world.config = replace(world.config, clock=lambda: summer)
    [in_summer] = world.say("g1", "/grades")
    assert [text for text in shown(in_summer, "ru") if "четвертная" in text] == []
