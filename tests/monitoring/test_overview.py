"""The overview's figures for the sample school, counted by hand (`tests.support.overview`), over
the periods a coordinator chooses; who needs attention; the reports' rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import monitoring
from locales import Text
from locales.collation import sort_key
from monitoring import periods
from monitoring.attention import attention
from monitoring.figures import Reading
from monitoring.overview import overview
from monitoring.periods import BadPeriod
from monitoring.reports import hours, journal_listing, pupil_summary, tutor_hours
from monitoring.scope import Scope
from monitoring.tables import Ask, stream
from tests.support.overview import NOW, ZONE, Term, build_term, name_of

pytestmark = pytest.mark.store


@pytest.fixture
def term(engine: Engine) -> Term:
    return build_term(engine)


def scope_of(term: Term, person_id: int) -> Scope:
    with Session(term.engine) as session:
        found = monitoring.scope_of(session, person_id)
    assert found is not None
    return found


def reading(scope: Scope, period: periods.Period | None = None) -> Reading:
    return Reading(scope, period or periods.current_quarter(NOW.astimezone(ZONE).date()), ZONE, NOW)


def test_quarters_follow_the_school_year_and_keep_their_holidays() -> None:
    q2 = periods.current_quarter(date(2026, 12, 3))
    assert (q2.number, q2.start, q2.teaching_end, q2.end) == (
        2,
        date(2026, 11, 2),
        date(2026, 12, 27),
        date(2027, 1, 7),
    )
    assert periods.current_quarter(date(2027, 1, 3)) == q2  # the winter holidays belong to the 2nd quarter
    assert periods.current_quarter(date(2026, 9, 1)).start == date(2026, 9, 1)
    assert periods.current_quarter(date(2025, 11, 3)).start == date(2025, 11, 3)  # the 2025–2026 order
    year = periods.whole_year(2026)
    assert (year.start, year.end) == (date(2026, 9, 1), date(2027, 8, 31))
    assert periods.half(2026, 2).start == date(2027, 1, 8)
    assert periods.academic_year(2030).quarters[0] == (date(2030, 9, 1), date(2030, 10, 25))
    today = date(2026, 12, 3)
    assert periods.from_query({}, today) == q2
    assert periods.from_query({"period": "q1", "year": "2025"}, today).start == date(2025, 9, 2)
    dates = periods.from_query({"period": "dates", "from": "2026-11-01", "to": "2026-11-30"}, today)
    assert (dates.kind, dates.start, dates.end) == ("dates", date(2026, 11, 1), date(2026, 11, 30))
    typed = periods.from_query({"period": "dates", "from": "1.11.2026", "to": " 30.11.2026 "}, today)
    assert typed == dates  # as the page's field takes them, in every language
    for bad in (
        {"period": "dates", "from": "11/01/2026", "to": "11/30/2026"},  # an English browser's own order
        {"period": "dates", "from": "31.11.2026", "to": "01.12.2026"},
        {"period": "q5"},
        {"period": "q1", "year": "20x6"},
        {"period": "dates", "from": "2026-12-01", "to": "2026-11-01"},
        {"period": "dates", "from": "2020-01-01", "to": "2026-01-01"},
        {"period": "dates", "from": "yesterday"},
    ):
        with pytest.raises(BadPeriod):
            periods.from_query(bad, today)
    assert isinstance(q2.label, Text) and "02.11.2026–27.12.2026" in q2.label.render("en")


def test_the_coordinators_overview_of_the_quarter_counted_by_hand(term: Term) -> None:
    with Session(term.engine) as session:
        found = overview(session, reading(scope_of(term, term.coordinator)))
    total = found.total
    assert (total.pupils, total.consented, total.consent_pct) == (40, 3, 7.5)
    assert (total.present, total.late, total.absent, total.attendance_pct) == (5, 1, 4, 60.0)
    assert (total.expected, total.on_time, total.handed_late, total.missing, total.on_time_pct) == (
        15,
        6,
        1,
        8,
        40.0,
    )
    assert (total.scored, total.avg_score) == (4, 7.0)
    assert (total.grown, total.growth, total.entered) == (2, 17.5, 2)
    assert found.dimensions == ("group", "tutor")
    groups = {unit.name: unit.figures for unit in found.units["group"]}
    assert set(groups) == {"ALG-8", "CHEM-8", "PHYS-9", "HIST-9"}
    algebra = groups["ALG-8"]
    assert (algebra.pupils, algebra.consent_pct, algebra.attendance_pct, algebra.on_time_pct) == (
        5,
        60.0,
        60.0,
        40.0,
    )
    # p2 and p3 also study chemistry: their consent counts there too; nothing happened in CHEM-8
    assert (groups["CHEM-8"].pupils, groups["CHEM-8"].consented, groups["CHEM-8"].marks) == (4, 2, 0)
    tutor = next(u for u in found.units["tutor"] if u.key == term.tutor)
    assert (tutor.name, tutor.detail, tutor.figures.avg_score) == (
        name_of(term.engine, term.tutor),
        "ALG-8",
        7.0,
    )
    weeks = {week.monday: (week.attendance, week.on_time) for week in found.weeks}
    # 9 Nov: 3 of 5 marks, H1 due that Friday 2 of 5 on time; 16 Nov: 3 of 5; 23 Nov: F and H2, 4 of 10.
    assert weeks == {
        date(2026, 11, 9): (60.0, 40.0),
        date(2026, 11, 16): (60.0, None),
        date(2026, 11, 23): (None, 40.0),
    }
    assert found.scores == [0, 0, 0, 1, 0, 1, 0, 1, 0, 1]


def test_another_period_counts_other_days_and_consent_as_it_stood_then(term: Term) -> None:
    scope = scope_of(term, term.coordinator)
    with Session(term.engine) as session:
        first = overview(session, reading(scope, periods.quarter(2026, 1))).total
        year = overview(session, reading(scope, periods.whole_year(2026))).total
    assert (first.consented, first.marks, first.absent, first.attendance_pct) == (
        4,
        1,
        1,
        0.0,
    )  # p4 had consent
    assert (first.expected, first.grown) == (5, 0)  # the entry diagnostic only; no final yet
    assert (year.marks, year.expected, year.on_time, year.grown) == (11, 20, 8, 2)


def test_a_tutor_and_a_class_teacher_see_their_own_part(term: Term) -> None:
    with Session(term.engine) as session:
        tutor = overview(session, reading(scope_of(term, term.tutor))).total
        teacher = overview(session, reading(scope_of(term, term.teacher_9b))).total
    assert (tutor.pupils, tutor.marks, tutor.expected) == (5, 10, 15)
    assert teacher.pupils == 20 and teacher.marks == 0  # ALG-8 is 8А's


def test_who_needs_attention_and_why(term: Term) -> None:
    read = reading(scope_of(term, term.coordinator))
    p = term.pupils
    with Session(term.engine) as session:
        absent = attention(session, read, need="absent")
        missing = attention(session, read, need="missing")
        consent = attention(session, read, need="consent")
        everyone = attention(session, read, size=100)
        searched = attention(session, read, search=name_of(term.engine, p["p3"]).split()[0].upper())
    assert [(row.pupil_id, row.absences, row.missing) for row in absent.items] == [(p["p3"], 2, 2)]
    assert {row.pupil_id: row.missing for row in missing.items} == {
        p["p2"]: 1,
        p["p3"]: 2,
        p["p4"]: 3,
        p["p5"]: 2,
    }
    assert consent.total == 37 and p["p4"] in {row.pupil_id for row in consent.items}
    assert everyone.total == 39 and p["p1"] not in {row.pupil_id for row in everyone.items}
    # Most reasons first (p4 has missing work and no consent, p3 absences and missing work), then by
    # class and name in the reader's alphabet (Kazakh: «Қ» after «К», not after «Я»).
    most = max(len(row.needs) for row in everyone.items)
    top = everyone.items[: sum(len(row.needs) == most for row in everyone.items)]
    assert most == 2 and all(len(row.needs) == most for row in top)
    assert top == sorted(top, key=lambda row: (sort_key("kk", row.class_name), sort_key("kk", row.name)))
    four = next(row for row in top if row.pupil_id == p["p4"])
    assert four.needs == ["missing", "consent"] and four.reminders == ["consent"]
    three = next(row for row in everyone.items if row.pupil_id == p["p3"])
    assert three.needs == ["absent", "missing"] and three.reminders == ["absent", "missing"]
    assert three.family and three.family[0].phone.startswith("+7")
    assert [row.pupil_id for row in searched.items] == [p["p3"]]  # any letter case, Kazakh letters too


def test_the_e_journal_has_a_row_per_pupil_and_graded_work(term: Term) -> None:
    scope = scope_of(term, term.coordinator)
    q2 = periods.current_quarter(NOW.astimezone(ZONE).date())
    with Session(term.engine) as session:
        rows = [
            [cell.render("en") if isinstance(cell, Text) else cell for cell in row]
            for row in stream(session, journal_listing(session, Ask(scope, ZONE, NOW, q2)))
        ]
    p1, p2, p5 = (name_of(term.engine, term.pupils[n]) for n in ("p1", "p2", "p5"))
    formative, final = "formative", "final diagnostic"  # as the e-journal labels works
    assert sorted((row[:10] for row in rows), key=lambda r: (str(r[2]), r[0])) == sorted(
        [
            [date(2026, 11, 13), "8А", p1, "Algebra", "Тапсырма 1", formative, 8, 10, 80.0, None],
            [date(2026, 11, 25), "8А", p1, "Algebra", "Қорытынды диагностика", final, 16, 20, 80.0, 4],
            [date(2026, 11, 27), "8А", p1, "Algebra", "Тапсырма 2", formative, 10, 10, 100.0, None],
            [date(2026, 11, 13), "8А", p2, "Algebra", "Тапсырма 1", formative, 6, 10, 60.0, None],
            [date(2026, 11, 25), "8А", p2, "Algebra", "Қорытынды диагностика", final, 13, 20, 65.0, 4],
            [date(2026, 11, 27), "8А", p5, "Algebra", "Тапсырма 2", formative, 4, 10, 40.0, None],
        ],
        key=lambda r: (str(r[2]), r[0]),
    )
    # each row's quarter and the pupil's algebra mark in it so far: the formative scores' mean (the
    # final diagnostic counts in no part): p1 (8 + 10) / 2 → 90 % → 5, p2 6 → 60 % → 3, p5 4 → 40 % → 3
    assert {(row[2], *row[10:]) for row in rows} == {
        (p1, "Quarter 2", 90.0, 5),
        (p2, "Quarter 2", 60.0, 3),
        (p5, "Quarter 2", 40.0, 3),
    }


def test_hours_delivered_are_lessons_held_times_minutes(term: Term) -> None:
    with Session(term.engine) as session:
        groups = hours(session, reading(scope_of(term, term.coordinator)))
    algebra = next(g for g in groups if g.group == "ALG-8")
    # Mondays and Wednesdays from 2 Nov to 3 Dec: 10, less the cancelled 23 Nov; held: 9 and 16 Nov.
    assert (algebra.scheduled, algebra.held, algebra.minutes, algebra.hours) == (9, 2, 120, 2.0)
    assert {g.group: g.held for g in groups} == {"ALG-8": 2, "CHEM-8": 0, "HIST-9": 0, "PHYS-9": 0}
    tutor = next(t for t in tutor_hours(groups) if t.tutor == name_of(term.engine, term.tutor))
    assert (tutor.groups, tutor.held, tutor.hours) == (1, 2, 2.0)


def test_a_pupils_summary_for_a_parents_meeting(term: Term) -> None:
    scope = scope_of(term, term.coordinator)
    with Session(term.engine) as session:
        summary = pupil_summary(session, reading(scope), term.pupils["p1"])
        outsider = pupil_summary(session, reading(scope_of(term, term.teacher_9b)), term.pupils["p1"])
    assert outsider is None
    assert summary is not None and summary.class_name == "8А"
    [algebra] = summary.subjects
    assert (algebra.group, algebra.entry, algebra.final, algebra.figures.growth) == (
        "ALG-8",
        50.0,
        80.0,
        30.0,
    )
    assert (algebra.figures.present, algebra.figures.on_time, algebra.figures.avg_score) == (2, 3, 9.0)
    assert [text for _day, _subject, text in summary.comments] == ["Жақсы"]


def test_a_long_breakdown_prints_the_units_attending_least() -> None:
    from bots.web.pdf import UNITS_PRINTED, listed_units
    from monitoring.figures import Figures
    from monitoring.overview import Unit

    units = [Unit("group", n, f"G{n}", "", Figures(present=n, absent=100 - n)) for n in range(100)]
    assert listed_units(units[:10]) == units[:10]
    printed = listed_units(units)
    assert len(printed) == UNITS_PRINTED and [u.key for u in printed[:3]] == [0, 1, 2]
