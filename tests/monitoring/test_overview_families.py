"""What families tell the school, on the overview: the reasons they gave for absences and the tutor's
decisions (figures, who needs attention, the reminder, the tables, a pupil's page and summary), and
the threads waiting for an answer as a paged, searchable table — over the sample term of
`tests.support.overview`, where p3 missed 9 and 16 November and p5 missed 9 November."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import monitoring
from bots.web.formats import absences
from bots.web.overview import cards
from locales import Text
from models.store import session_scope
from models.timetable import Attendance
from monitoring import periods
from monitoring.attention import attention, one
from monitoring.figures import Reading
from monitoring.overview import overview
from monitoring.reports import pupil_summary
from monitoring.scope import Scope
from monitoring.table import Ask
from monitoring.tables import LISTINGS, page_of, tables_for
from tests.support.overview import NOV_9, NOV_16, NOW, ZONE, Term, build_term, explain, name_of, open_threads

pytestmark = pytest.mark.store


@pytest.fixture
def term(engine: Engine) -> Term:
    found = build_term(engine)
    explain(found)
    return found


def scope_of(term: Term, person_id: int) -> Scope:
    with Session(term.engine) as session:
        found = monitoring.scope_of(session, person_id)
    assert found is not None
    return found


def reading(scope: Scope) -> Reading:
    return Reading(scope, periods.current_quarter(NOW.astimezone(ZONE).date()), ZONE, NOW)


def rendered(row: tuple[object, ...]) -> list[object]:
    return [cell.render("en") if isinstance(cell, Text) else cell for cell in row]


def test_the_figures_count_absences_by_reason_and_the_excused_ones(term: Term) -> None:
    with Session(term.engine) as session:
        total = overview(session, reading(scope_of(term, term.coordinator))).total
    assert (total.absent, total.excused) == (4, 1)
    assert dict(total.reasons) == {"ill": 1, "no_internet": 1, "device": 1}
    [attendance] = [card for card in cards(total, "en") if card.key == "attendance"]
    detail = attendance.detail.render("en")
    assert detail.startswith("10 marks: 1 late, 4 absent (") and detail.endswith("; excused: 1)")
    assert "ill 1" in detail and "no internet 1" in detail and "broken device 1" in detail
    assert absences(Counter({"ill": 2}), 0, "ru") == "болезнь 2" and absences(Counter(), 0, "kk") == ""


def test_who_needs_attention_says_what_was_explained_and_asks_only_about_the_rest(term: Term) -> None:
    read = reading(scope_of(term, term.coordinator))
    p3, p5 = term.pupils["p3"], term.pupils["p5"]
    with Session(term.engine) as session:
        [listed] = attention(session, read, need="absent").items
        five = one(session, read, p5)
    assert (listed.pupil_id, listed.absences, listed.explained, listed.excused) == (p3, 2, 2, 1)
    # p3 is still listed for missing two lessons, but the family told why of both: no question to them.
    assert listed.needs == ["absent", "missing"] and listed.reminders == ["missing"]
    assert five is not None and (five.absences, five.explained, five.excused, five.unexplained) == (
        1,
        1,
        0,
        0,
    )
    with session_scope(term.engine) as session:
        row = session.exec(
            select(Attendance).where(Attendance.pupil_id == p3, Attendance.on_date == NOV_16)
        ).one()
        row.reason = None
        session.add(row)
    with Session(term.engine) as session:
        again = one(session, read, p3)
    assert again is not None and again.unexplained == 1 and again.reminders == ["absent", "missing"]


def test_the_tables_and_a_pupils_pages_show_the_reasons_and_the_decisions(term: Term) -> None:
    scope = scope_of(term, term.coordinator)
    q2 = periods.current_quarter(NOW.astimezone(ZONE).date())
    p3 = term.pupils["p3"]
    with Session(term.engine) as session:
        problems = page_of(session, LISTINGS["problems"](session, Ask(scope, ZONE, NOW, q2)))
        first_quarter = page_of(
            session, LISTINGS["problems"](session, Ask(scope, ZONE, NOW, periods.quarter(2026, 1)))
        )
        searched = page_of(
            session,
            LISTINGS["problems"](
                session, Ask(scope, ZONE, NOW, q2, name_of(term.engine, term.pupils["p5"]).split()[0].lower())
            ),
        )
        weeks = page_of(session, LISTINGS["attendance"](session, Ask(scope, ZONE, NOW, q2)))
        view = monitoring.pupil_view(session, scope, p3, ZONE)
        summary = pupil_summary(session, reading(scope), p3)
    assert problems.page is not None and problems.page.total == 3 and first_quarter.page.total == 0  # type: ignore[union-attr]
    newest = rendered(problems.rows[0])
    assert newest[0] == NOV_16 and newest[1] == "8А" and newest[4:6] == ["absent", "no internet"]
    assert newest[7:] == ["not decided yet", "a parent"] and problems.pupils[0] == p3
    assert [rendered(row)[5] for row in searched.rows] == ["broken device"]
    algebra = {rendered(row)[2]: rendered(row)[3:] for row in weeks.rows if row[0] == "ALG-8"}
    # lessons, present, late, absent, excused
    assert algebra == {NOV_9: [1, 2, 1, 2, 1], NOV_16: [1, 3, 0, 2, 0]}
    assert view is not None
    marks = {rendered(row)[0]: rendered(row)[2:] for row in view.attendance.rows}
    assert marks[NOV_9] == ["absent", "ill", "excused"] and marks[NOV_16] == [
        "absent",
        "no internet",
        "not decided yet",
    ]
    assert (
        summary is not None
        and summary.total.excused == 1
        and dict(summary.total.reasons)
        == {
            "ill": 1,
            "no_internet": 1,
        }
    )


def test_threads_waiting_are_a_paged_searchable_table_within_the_scope(term: Term) -> None:
    open_threads(term)
    coordinator, tutor = scope_of(term, term.coordinator), scope_of(term, term.tutor)
    parent = name_of(term.engine, term.parents["p3"][0])
    with Session(term.engine) as session:
        everything = page_of(session, LISTINGS["threads"](session, Ask(coordinator, ZONE, NOW)), 1, 1)
        second = page_of(session, LISTINGS["threads"](session, Ask(coordinator, ZONE, NOW)), 2, 1)
        by_parent = page_of(
            session,
            LISTINGS["threads"](session, Ask(coordinator, ZONE, NOW, search=parent.split()[1].upper())),
        )
        tutors = page_of(session, LISTINGS["threads"](session, Ask(tutor, ZONE, NOW)))
        teacher_9b = page_of(
            session, LISTINGS["threads"](session, Ask(scope_of(term, term.teacher_9b), ZONE, NOW))
        )
    assert everything.page is not None and everything.page.total == 2 and everything.page.pages == 2
    oldest = rendered(everything.rows[0])
    assert oldest[1:] == [
        30,
        parent,
        name_of(term.engine, term.pupils["p3"]),
        "8А",
        name_of(term.engine, term.tutor),
        "digital tutor",
        2,
    ]
    assert rendered(second.rows[0])[2] == "the pupil" and rendered(second.rows[0])[6] == "class teacher"
    assert len(by_parent.rows) == 1 and by_parent.pupils == [term.pupils["p3"]]
    # a tutor reads their group's threads, not those with the class teacher
    assert [rendered(row)[5] for row in tutors.rows] == [name_of(term.engine, term.tutor)]
    assert teacher_9b.rows == []
    assert "threads" in tables_for(tutor) and "problems" in tables_for(tutor)
