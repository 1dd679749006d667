"""Kazakhstan's assessment scheme: diagnostics set in the chat and knowledge growth per pupil, group,
tutor, school and district; the quarter mark from the programme's weights (worked by hand below); the
e-journal's rows; and what a parent reads — in kk, ru and en."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from assessment import marks
from assessment.growth import LEVELS, Growth, growth, pupil_growth
from assessment.quarter import quarter_marks
from assessment.texts import quarter_texts
from locales import T
from models import Feedback, Homework, Programme, School, Submission, TutoringGroup
from models.enums import HomeworkKind, WorkLabel
from models.store import session_scope, stored_id
from monitoring.reports import journal_listing
from monitoring.scope import SCHOOL, Scope
from monitoring.table import Ask
from monitoring.tables import stream
from outbox.write import stored_text
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow

ZONE = ZoneInfo("Asia/Almaty")
SEPT = datetime(2026, 9, 10, 13, 0, tzinfo=UTC)  # 18:00 in Almaty


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def graded(
    world: World,
    pupil: str,
    *,
    kind: HomeworkKind,
    label: WorkLabel | None = None,
    due: datetime = SEPT,
    points: float | None = None,
    max_points: int | None = None,
    score: int | None = None,
    group: str = "A1",
    title: str = "Work",
) -> None:
    """A work of `pupil`'s group, handed in and graded (the conversations have their own tests)."""
    with session_scope(world.engine) as session:
        homework = Homework(
            group_id=world.groups[group],
            text=title,
            kind=kind,
            label=label,
            scored=True,
            max_points=max_points,
            due_at=due,
        )
        session.add(homework)
        session.flush()
        submission = Submission(
            homework_id=homework.id, pupil_id=world.ids[pupil], status="graded", channel="telegram"
        )
        session.add(submission)
        session.flush()
        session.add(
            Feedback(
                submission_id=submission.id,
                points=points,
                max_points=max_points if points is not None else None,
                formative_score=score,
                created_at=due + timedelta(days=1),
                mark=marks.mark_for(points, max_points) if points is not None and max_points else None,
            )
        )


# -- diagnostics set in the chat -------------------------------------------------------------------


def test_a_tutor_sets_an_entry_diagnostic_and_grades_it_in_points(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    world.say("t1", "Entry test: 20 tasks")
    asked = world.say("t1", "25.12.2099 18:00")
    assert [c.value for c in asked[0].choices] == [
        "hw:kind:formative",
        "hw:kind:section",
        "hw:kind:term",
        "hw:kind:entry",
        "hw:kind:final",
        "hw:kind:none",
    ]
    assert [c.label.render("kk") for c in asked[0].choices][1:5] == [
        "Бөлім бойынша жиынтық бағалау — БЖБ (ұпаймен)",
        "Тоқсан бойынша жиынтық бағалау — ТЖБ (ұпаймен)",
        "Бастапқы диагностика (ұпаймен)",
        "Қорытынды диагностика (ұпаймен)",
    ]
    assert keys(world.press("t1", "hw:kind:entry")) == ["homework.ask_max"]
    summary = world.say("t1", "20")
    assert summary[0].text.params["grading"].render("ru") == "входная диагностика, из 20 баллов"
    [created] = world.press("t1", "hw:confirm:yes")  # the world's third pupil has no consent
    assert (created.text.key, created.text.params["reached"], created.text.params["total"]) == (
        "homework.created_partly",
        2,
        3,
    )
    with Session(world.engine) as session:
        homework = session.exec(select(Homework)).one()
        assert (homework.kind, homework.label, homework.max_points) == ("diagnostic", "entry", 20)
    [notice, _] = world.outbox("homework.new")
    assert "бастапқы диагностика, 20 ұпайдан" in stored_text(notice).render("kk")

    world.photos("p1", page_image())
    world.say("t1", "/review")
    with Session(world.engine) as session:
        submission = session.exec(select(Submission)).one()
    assert keys(world.press("t1", f"rv:grade:{submission.id}")) == ["review.ask_points"]
    world.say("t1", "11")
    world.say("t1", "-")
    with Session(world.engine) as session:
        feedback = session.exec(select(Feedback)).one()
        assert (feedback.points, feedback.max_points) == (11.0, 20)
        [row] = pupil_growth(session, [world.ids["p1"]])
    assert (row.entry, row.final, row.growth) == (55.0, None, None)


# -- growth ----------------------------------------------------------------------------------------


def test_growth_is_final_minus_entry_and_its_means_roll_up(world: World) -> None:
    """Algebra (t1): p1 40 → 70 (+30), p2 50 → 60 (+10), p3 only an entry. Physics (t2): p4 80 → 75
    (−5). Group A1: entry 45, final 65, +20 over two pupils; the district: +11.7 over three."""
    for pupil, entry, final in (("p1", 8, 14), ("p2", 10, 12), ("p3", 6, None)):
        graded(world, pupil, kind=HomeworkKind.DIAGNOSTIC, label=WorkLabel.ENTRY, points=entry, max_points=20)
        if final is not None:
            graded(
                world,
                pupil,
                kind=HomeworkKind.DIAGNOSTIC,
                label=WorkLabel.FINAL,
                points=final,
                max_points=20,
                due=SEPT + timedelta(days=200),
            )
    graded(
        world, "p4", kind=HomeworkKind.DIAGNOSTIC, label=WorkLabel.ENTRY, points=16, max_points=20, group="F1"
    )
    graded(
        world,
        "p4",
        kind=HomeworkKind.DIAGNOSTIC,
        label=WorkLabel.FINAL,
        points=15,
        max_points=20,
        group="F1",
        due=SEPT + timedelta(days=200),
    )
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=10)  # not a diagnostic: no growth of its own
    pupils = [world.ids[p] for p in ("p1", "p2", "p3", "p4")]
    with Session(world.engine) as session:
        rows = {
            world_name(world, r.pupil_id): (r.entry, r.final, r.growth) for r in pupil_growth(session, pupils)
        }
        assert rows == {
            "p1": (40.0, 70.0, 30.0),
            "p2": (50.0, 60.0, 10.0),
            "p3": (30.0, None, None),
            "p4": (80.0, 75.0, -5.0),
        }
        by = {level: growth(session, pupils, level) for level in LEVELS}
        school = session.exec(select(School)).one()
    a1, f1 = world.groups["A1"], world.groups["F1"]
    assert by["group"] == {a1: Growth(2, 45.0, 65.0, 20.0), f1: Growth(1, 80.0, 75.0, -5.0)}
    assert by["tutor"] == {
        world.ids["t1"]: Growth(2, 45.0, 65.0, 20.0),
        world.ids["t2"]: Growth(1, 80.0, 75.0, -5.0),
    }
    assert by["school"] == {school.id: Growth(3, 56.7, 68.3, 11.7)}
    assert by["district"] == {None: Growth(3, 56.7, 68.3, 11.7)}
    assert by["pupil"][world.ids["p3"]] == Growth(0, None, None, None)
    with Session(world.engine) as session:  # a period holding only the entry diagnostics
        autumn = growth(
            session, pupils, "district", since=SEPT - timedelta(days=10), until=SEPT + timedelta(days=90)
        )
    assert autumn == {None: Growth(0, None, None, None)}


def world_name(world: World, person_id: int) -> str:
    return next(name for name, pid in world.ids.items() if pid == person_id)


def test_the_pupil_page_shows_entry_final_and_growth(world: World) -> None:
    from monitoring.pupil import pupil_view

    graded(world, "p1", kind=HomeworkKind.DIAGNOSTIC, label=WorkLabel.ENTRY, points=9, max_points=20)
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=6, due=SEPT + timedelta(days=5))
    graded(
        world,
        "p1",
        kind=HomeworkKind.DIAGNOSTIC,
        label=WorkLabel.FINAL,
        points=15,
        max_points=20,
        due=SEPT + timedelta(days=30),
    )
    with Session(world.engine) as session:
        school = session.exec(select(School)).one()
        scope = Scope(
            0, SCHOOL, school_ids=frozenset({stored_id(school)}), only_pupils=frozenset({world.ids["p1"]})
        )
        view = pupil_view(session, scope, world.ids["p1"], ZONE)
    assert view is not None
    assert view.growth.columns == ("subject", "entry", "final", "growth")
    [(_subject, entry, final, grown)] = view.growth.rows
    assert (entry, final, grown) == (45.0, 75.0, 30.0)
    assert [p.percent for p in view.series["algebra"]] == [45.0, 60.0, 75.0]  # every graded work, charted


# -- the quarter mark ------------------------------------------------------------------------------


def _quarter_works(world: World) -> None:
    """p1 in algebra: formative 7, 8, 9 (mean 8 → 80 %); БЖБ 15/20 and 12/20 (27/40 = 67.5 %);
    ТЖБ 24/30 (80 %). 25 % × 80 + 25 % × 67.5 + 50 % × 80 = 76.875 % → 4."""
    for score in (7, 8, 9):
        graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=score)
    graded(world, "p1", kind=HomeworkKind.SUMMATIVE, label=WorkLabel.SECTION, points=15, max_points=20)
    graded(world, "p1", kind=HomeworkKind.SUMMATIVE, label=WorkLabel.SECTION, points=12, max_points=20)
    graded(
        world,
        "p1",
        kind=HomeworkKind.SUMMATIVE,
        label=WorkLabel.TERM,
        points=24,
        max_points=30,
        due=SEPT + timedelta(days=20),
    )
    graded(world, "p1", kind=HomeworkKind.DIAGNOSTIC, label=WorkLabel.ENTRY, points=1, max_points=20)


def test_the_quarter_mark_weighs_formative_unit_and_term_work(world: World) -> None:
    _quarter_works(world)
    with Session(world.engine) as session:
        [mark] = quarter_marks(session, [world.ids["p1"]])
    assert (mark.formative, mark.section, mark.term, mark.percent, mark.mark) == (8.0, 67.5, 80.0, 76.9, 4)


def test_the_quarter_mark_follows_the_programmes_weights(world: World) -> None:
    """Formative 10 %, БЖБ 40 %, ТЖБ 50 %: 8 + 27 + 40 = 75 % → 4; and with no ТЖБ the other two
    weigh up in proportion: (10 × 80 + 40 × 67.5) / 50 = 70 % → 4."""
    _quarter_works(world)
    with session_scope(world.engine) as session:
        session.exec(select(Programme)).one().weights = {"formative": 10, "section": 40, "term": 50}
    with Session(world.engine) as session:
        [mark] = quarter_marks(session, [world.ids["p1"]])
        assert (mark.percent, mark.mark) == (75.0, 4)
        [without_term] = quarter_marks(session, [world.ids["p1"]], until=SEPT + timedelta(days=1))
        assert without_term.term is None and (without_term.percent, without_term.mark) == (70.0, 4)
    graded(world, "p2", kind=HomeworkKind.SUMMATIVE, label=WorkLabel.TERM, points=16.99, max_points=20)
    with Session(world.engine) as session:
        [just_under] = quarter_marks(session, [world.ids["p2"]])
    assert (just_under.percent, just_under.mark) == (85.0, 4)  # 84.95 %: shown rounded, marked exactly


def test_a_parent_reads_the_quarter_mark_in_their_language(world: World) -> None:
    _quarter_works(world)
    with Session(world.engine) as session:
        [line] = quarter_texts(session, world.ids["p1"])
        [nothing] = quarter_texts(session, world.ids["p2"]) or [None]  # p2 has no graded work
    assert line.render("kk") == "Алгебра: тоқсандық баға — 4 (76,9 %); ҚБ 8/10 балл, БЖБ 67,5 %, ТЖБ 80 %"
    assert line.render("ru") == "Алгебра: четвертная оценка — 4 (76,9 %); ФО 8/10, СОр 67,5 %, СОч 80 %"
    assert line.render("en") == (
        "Algebra: quarter mark 4 (76.9 %); formative 8/10, unit summative 67.5 %, term summative 80 %"
    )
    assert nothing is None


def test_the_e_journal_gets_one_row_per_pupil_and_work(world: World) -> None:
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=7, title="§3 tasks")
    graded(
        world,
        "p1",
        kind=HomeworkKind.SUMMATIVE,
        label=WorkLabel.TERM,
        points=16.5,
        max_points=20,
        title="ТЖБ 1",
    )
    with Session(world.engine) as session:
        school = session.exec(select(School)).one()
        scope = Scope(
            0, SCHOOL, school_ids=frozenset({stored_id(school)}), only_pupils=frozenset({world.ids["p1"]})
        )
        listing = journal_listing(session, Ask(scope, ZONE, datetime.now(UTC), language="ru"))
        rows = [listing.cells(row) for row in session.execute(listing.statement).all()]
    # and the 1st quarter's mark: ФО 70 %, СОч 82.5 %, no СОр: (25 × 70 + 50 × 82.5) / 75 = 78.3 % → 4
    assert [(r[0].isoformat(), r[4], r[5].render("ru"), r[6], r[7], r[9], *r[10:]) for r in rows] == [  # type: ignore[union-attr]
        ("2026-09-10", "§3 tasks", "ФО", 7, 10, None, T("quarter.name", number=1), 78.3, 4),
        ("2026-09-10", "ТЖБ 1", "СОч", 16.5, 20, 4, T("quarter.name", number=1), 78.3, 4),
    ]


def test_works_set_before_labels_count_as_a_sections_summative(world: World) -> None:
    graded(world, "p1", kind=HomeworkKind.SUMMATIVE, points=18, max_points=20)
    with Session(world.engine) as session:
        [mark] = quarter_marks(session, [world.ids["p1"]])
        group = session.exec(select(TutoringGroup).where(TutoringGroup.code == "A1")).one()
    assert (mark.group_id, mark.section, mark.term, mark.mark) == (group.id, 90.0, None, 5)


def test_the_pupil_page_and_the_dashboard_read_growth_by_one_definition(world: World) -> None:
    """p1 sat the entry diagnostic twice (8, then 12 of 20) and the final twice (14, then 16): the
    first entry and the last final count, 40 → 80 %, +40, on the pupil's page and in the dashboard's
    sums alike. p2 sat only the entry: not measured — None, never 0 — though counted as entered."""
    from assessment.growth import growth_of
    from monitoring.growth import growth_by_group

    for points, label, days in ((8, WorkLabel.ENTRY, 0), (12, WorkLabel.ENTRY, 10)):
        graded(
            world,
            "p1",
            kind=HomeworkKind.DIAGNOSTIC,
            label=label,
            points=points,
            max_points=20,
            due=SEPT + timedelta(days=days),
        )
    for points, days in ((14, 200), (16, 210)):
        graded(
            world,
            "p1",
            kind=HomeworkKind.DIAGNOSTIC,
            label=WorkLabel.FINAL,
            points=points,
            max_points=20,
            due=SEPT + timedelta(days=days),
        )
    graded(world, "p2", kind=HomeworkKind.DIAGNOSTIC, label=WorkLabel.ENTRY, points=10, max_points=20)
    p1, p2 = world.ids["p1"], world.ids["p2"]
    with Session(world.engine) as session:
        rows = {r.pupil_id: (r.entry, r.final, r.growth) for r in pupil_growth(session, [p1, p2])}
        school = session.exec(select(School)).one()
        scope = Scope(0, SCHOOL, school_ids=frozenset({stored_id(school)}))
        [(_school, group, total, grown, entered)] = session.execute(
            growth_by_group(scope, SEPT + timedelta(days=400))
        ).all()
        before_the_final = session.execute(growth_by_group(scope, SEPT + timedelta(days=100))).all()
    assert rows == {p1: (40.0, 80.0, 40.0), p2: (50.0, None, None)}
    assert (group, round(float(total), 1), grown, entered) == (world.groups["A1"], 40.0, 1, 2)
    [(_school, _group, nothing, none_grown, both_entered)] = before_the_final  # known at day 100
    assert (nothing, none_grown, both_entered) == (None, 0, 2)  # a sum of nothing: not 0
    assert growth_of(50.0, None) is None and growth_of(40.0, 40.0) == 0.0  # no growth ≠ not measured


def test_the_e_journal_gives_each_quarter_its_own_mark_and_the_summer_none(world: World) -> None:
    """A period from 1 July to 30 November 2026 spans the summer (in no quarter), the 1st quarter of
    2026–2027 (to 1 November, its holidays included) and the 2nd. p1's algebra: in the summer a ФО of
    8; in the 1st quarter a ФО of 7 (70 % → 4); in the 2nd a ФО of 9 and a СОч of 18/20, and on
    10 December, after the period but in the same quarter, a ФО of 2: the quarter mark is the whole
    quarter's so far, ФО (9 + 2) / 2 = 55 %, СОч 90 % → (25 × 55 + 50 × 90) / 75 = 78.3 % → 4, though
    the December row itself is not listed. Each row carries its own quarter's mark, as the CSV writes
    it in Russian."""
    from bots.web.export import csv_text
    from monitoring.periods import dates

    def at(day: int, month: int) -> datetime:
        return datetime(2026, month, day, 13, 0, tzinfo=UTC)

    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=8, due=at(10, 7), title="Summer")
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=7, due=at(20, 10), title="October")
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=9, due=at(10, 11), title="November")
    graded(
        world,
        "p1",
        kind=HomeworkKind.SUMMATIVE,
        label=WorkLabel.TERM,
        points=18,
        max_points=20,
        due=at(20, 11),
        title="СОч",
    )
    graded(world, "p1", kind=HomeworkKind.FORMATIVE, score=2, due=at(10, 12), title="December")
    now = datetime(2026, 12, 20, 6, 0, tzinfo=UTC)
    with Session(world.engine) as session:
        school = session.exec(select(School)).one()
        scope = Scope(
            0, SCHOOL, school_ids=frozenset({stored_id(school)}), only_pupils=frozenset({world.ids["p1"]})
        )
        period = dates(date(2026, 7, 1), date(2026, 11, 30))
        listing = journal_listing(session, Ask(scope, ZONE, now, period, language="ru"))
        rows = [[csv_text(cell, "ru") for cell in cells] for cells in stream(session, listing)]
    assert listing.columns[-3:] == ("quarter", "quarter_percent", "quarter_mark")
    assert [(row[0], row[4], *row[-3:]) for row in rows] == [
        ("10.07.2026", "Summer", "", "", ""),
        ("20.10.2026", "October", "1-я четверть", "70", "4"),
        ("10.11.2026", "November", "2-я четверть", "78,3", "4"),
        ("20.11.2026", "СОч", "2-я четверть", "78,3", "4"),
    ]
