"""The attendance tallies (`models.tally`, migration 0019_tally) stay the sum of the marks whatever
writes them, and the overview read from them is the overview counted from the marks, for every
kind of period. On SQLite and (with USTAZ_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, case, delete, func, insert, select, text, update
from sqlmodel import Session, col

from assessment.growth import diagnostic_scores
from models.homework import Feedback, Homework, Submission, SubmissionPage
from models.people import Membership
from models.postal import PostalItem
from models.school import GroupMember
from models.store import is_postgres, session_scope
from models.tally import (
    AttendanceBlockTally,
    AttendanceDayTally,
    AttendanceTally,
    AttendanceWeekTotal,
    GrowthTally,
)
from models.timetable import Attendance, Lesson
from monitoring import growth, periods, scope_of, tally
from monitoring.figures import Figures, Reading
from monitoring.overview import Overview, overview
from monitoring.scope import DISTRICT, Scope
from monitoring.sql import pupil_membership
from sandbox.term import fill_term
from sandbox.world import build_district

pytestmark = pytest.mark.store

ZONE = ZoneInfo("Asia/Almaty")
TODAY = date(2026, 12, 3)  # a Thursday of the 2nd quarter
NOW = datetime.combine(TODAY, time(12), ZONE).astimezone(UTC)
YEAR = periods.academic_year(2026)
STATUSES = ("present", "late", "absent")
WORK_STATUSES = ("submitted", "graded", "returned", "replaced")
REASONS = (None, "", "ill", "family", "no_internet")
PERIODS = {
    "1st quarter": periods.quarter(2026, 1),
    "2nd quarter": periods.quarter(2026, 2),
    "1st half": periods.half(2026, 1),
    "year": periods.whole_year(2026),
    "month": periods.dates(date(2026, 11, 1), date(2026, 11, 30)),
    "this month": periods.dates(date(2026, 12, 1), TODAY),
    "chosen dates": periods.dates(date(2026, 9, 17), date(2026, 11, 4)),
    "whole weeks": periods.dates(date(2026, 10, 5), date(2026, 11, 1)),
}


Counts = dict[tuple[Any, ...], tuple[int, ...]]
# Each tally and the key a day's row counts under in it.
UNITS = {
    "day": (AttendanceDayTally, lambda school, day, group, reason: (school, day, group, reason)),
    "week": (AttendanceTally, lambda school, day, group, reason: (school, tally.monday(day), group, reason)),
    "block": (
        AttendanceBlockTally,
        lambda school, day, group, reason: (school, block_of(day), group, reason),
    ),
    "school's week": (AttendanceWeekTotal, lambda school, day, group, reason: (school, tally.monday(day))),
}


def block_of(day: date) -> date:
    """The first day of `day`'s block of four weeks, counted from Monday 1970-01-05."""
    return day - timedelta(days=(day - date(1970, 1, 5)).days % 28)


def recounted(session: Session) -> dict[str, Counts]:
    """The tallies as the marks say they should be, leaving out the keys that count nothing."""
    reason = func.coalesce(col(Attendance.reason), "")
    keys = [col(Membership.school_id), col(Attendance.on_date), col(Lesson.group_id), reason]
    sums = [
        *(func.sum(case((col(Attendance.status) == status, 1), else_=0)) for status in STATUSES),
        func.sum(case((col(Attendance.excused).is_(True), 1), else_=0)),
    ]
    rows = session.execute(
        select(*keys, *sums)
        .select_from(Attendance)
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .join(Membership, pupil_membership(col(Attendance.pupil_id)))
        .group_by(*keys)
    ).all()
    found: dict[str, Counts] = {}
    for unit, (_table, key) in UNITS.items():
        summed: dict[tuple[Any, ...], list[int]] = {}
        for school, day, group, why, *counts in rows:
            into = summed.setdefault(key(school, day, group, why), [0, 0, 0, 0])
            for at, count in enumerate(counts):
                into[at] += int(count)
        found[unit] = {k: tuple(v) for k, v in summed.items() if any(v)}
    return found


def tallied(session: Session) -> dict[str, Counts]:
    found: dict[str, Counts] = {}
    for unit, (table, _key) in UNITS.items():
        columns = [column for column in table.__table__.columns]  # type: ignore[attr-defined]
        found[unit] = {
            tuple(row[:-4]): tuple(row[-4:])
            for row in session.execute(select(*columns)).all()
            if any(row[-4:])
        }
    return found


def growth_recounted(session: Session) -> dict[tuple[int, int], tuple[Any, Any]]:
    """Each pupil's entry and final diagnostic per group, ranked from every grade as known now."""
    rows = session.execute(diagnostic_scores([])).all()
    return {(row.pupil_id, row.group_id): (row.entry, row.final) for row in rows}


def growth_tallied(session: Session) -> dict[tuple[int, int], tuple[Any, Any]]:
    """The tally of the pupils with a school (the overview reads it joined to their membership)."""
    pupils = select(col(Membership.person_id)).where(col(Membership.role) == "pupil")
    rows = session.execute(select(GrowthTally).where(col(GrowthTally.pupil_id).in_(pupils))).scalars()
    return {(row.pupil_id, row.group_id): (row.entry, row.final) for row in rows}


def stored_marks(engine: Engine) -> set[tuple[Any, ...]]:
    """The marks' keys (lesson, day, pupil), which a new mark must not repeat."""
    with Session(engine) as session:
        keys = select(col(Attendance.lesson_id), col(Attendance.on_date), col(Attendance.pupil_id))
        return {tuple(row) for row in session.execute(keys)}


class Changes:
    """Random writes of marks, memberships and lessons, each through the ORM, a bulk executemany
    (as the importer and the sandbox's term write) or a raw statement."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        with Session(engine) as session:
            self.lessons = [tuple(r) for r in session.execute(select(col(Lesson.id), col(Lesson.group_id)))]
            self.groups = sorted({group for _lesson, group in self.lessons})
            pupils = select(col(Membership.person_id), col(Membership.school_id))
            self.pupils = [tuple(r) for r in session.execute(pupils.where(col(Membership.role) == "pupil"))]
            self.schools = sorted({school for _p, school in self.pupils})
        self.taken = stored_marks(engine)

    def day(self) -> date:
        return YEAR.start + timedelta(days=self.rng.randrange((TODAY - YEAR.start).days + 1))

    def fresh_mark(self) -> dict[str, Any]:
        while True:
            lesson, pupil, day = self.rng.choice(self.lessons)[0], self.rng.choice(self.pupils)[0], self.day()
            if (lesson, day, pupil) not in self.taken:
                self.taken.add((lesson, day, pupil))
                return {
                    "lesson_id": lesson,
                    "on_date": day,
                    "pupil_id": pupil,
                    "status": self.rng.choice(STATUSES),
                    "reason": self.rng.choice(REASONS),
                    "excused": self.rng.choice((None, True, False)),
                }

    def marks(self, session: Session, count: int) -> list[Attendance]:
        return list(session.execute(select(Attendance).order_by(func.random()).limit(count)).scalars())

    def through_the_orm(self) -> None:
        with session_scope(self.engine) as session:
            session.add_all(Attendance(**self.fresh_mark()) for _ in range(15))
            for mark in self.marks(session, 25):
                mark.status = self.rng.choice(STATUSES)
                mark.reason = self.rng.choice(REASONS)
                mark.excused = self.rng.choice((None, True, False))
                if self.rng.random() < 0.3:
                    moved = self.fresh_mark()
                    self.taken.discard((mark.lesson_id, mark.on_date, mark.pupil_id))
                    mark.lesson_id, mark.on_date, mark.pupil_id = (
                        moved["lesson_id"],
                        moved["on_date"],
                        moved["pupil_id"],
                    )
            for mark in self.marks(session, 10):
                self.taken.discard((mark.lesson_id, mark.on_date, mark.pupil_id))
                session.delete(mark)

    def in_bulk(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(insert(Attendance), [self.fresh_mark() for _ in range(40)])

    def raw(self) -> None:
        k = self.rng.randrange(7)
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE attendance SET status = CASE status WHEN 'present' THEN 'absent' "
                    "WHEN 'absent' THEN 'late' ELSE 'present' END, excused = NOT coalesce(excused, false) "
                    "WHERE id % 7 = :k"
                ),
                {"k": k},
            )
            conn.execute(text("UPDATE attendance SET reason = 'ill' WHERE id % 11 = :k"), {"k": k})
            conn.execute(text("DELETE FROM attendance WHERE id % 13 = :k"), {"k": k})
            again = conn.execute(text("SELECT lesson_id, on_date, pupil_id FROM attendance LIMIT 5")).all()
            rewrite = (
                "INSERT INTO attendance (lesson_id, on_date, pupil_id, status, marked_at, reason_note) "
                "VALUES (:lesson, :day, :pupil, 'absent', :at, '') "
            )
            rewrite += (
                "ON CONFLICT (lesson_id, on_date, pupil_id) DO UPDATE SET status = excluded.status"
                if is_postgres(self.engine)
                else ""
            )
            if not is_postgres(self.engine):  # SQLite's REPLACE deletes the row it replaces
                rewrite = rewrite.replace("INSERT INTO", "INSERT OR REPLACE INTO")
            for lesson, day, pupil in again:
                conn.execute(text(rewrite), {"lesson": lesson, "day": day, "pupil": pupil, "at": NOW})
        self.taken = stored_marks(self.engine)

    def people_move(self) -> None:
        """A pupil moves school; another also joins a second school; a third leaves; a lesson moves
        to another group."""
        (mover, school), (joiner, home), (leaver, _s) = self.rng.sample(self.pupils, 3)
        elsewhere = [s for s in self.schools if s != school]
        with session_scope(self.engine) as session:
            moving = session.execute(
                select(Membership).where(col(Membership.person_id) == mover, col(Membership.role) == "pupil")
            ).scalars()
            for membership in moving:
                membership.school_id = self.rng.choice(elsewhere)
                membership.class_id = None
            second = self.rng.choice([s for s in self.schools if s != home])
            session.add(Membership(person_id=joiner, role="pupil", school_id=second))
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM membership WHERE person_id = :p AND role = 'pupil'"), {"p": leaver}
            )
            lesson, group = self.rng.choice(self.lessons)
            other = self.rng.choice([g for g in self.groups if g != group])
            conn.execute(
                update(Lesson)
                .where(col(Lesson.id) == lesson)
                .values(group_id=other, start_time=time(23, self.rng.randrange(60)))
            )
        with Session(self.engine) as session:
            self.lessons = [tuple(r) for r in session.execute(select(col(Lesson.id), col(Lesson.group_id)))]
            pupils = select(col(Membership.person_id), col(Membership.school_id))
            self.pupils = [tuple(r) for r in session.execute(pupils.where(col(Membership.role) == "pupil"))]

    def works_change(self) -> None:
        """Works handed in again, late, graded, replaced, deleted; grades added, corrected and
        taken back; a pupil leaving a group and joining another; a homework moving group."""
        with session_scope(self.engine) as session:
            works = list(session.execute(select(Submission).order_by(func.random()).limit(30)).scalars())
            for work in works[:20]:
                work.late = self.rng.random() < 0.5
                work.status = self.rng.choice(WORK_STATUSES)
            session.add_all(
                Submission(
                    homework_id=work.homework_id, pupil_id=work.pupil_id, late=False, channel="telegram"
                )
                for work in works[20:25]
            )
            session.flush()
            for work in works[25:]:
                session.execute(delete(SubmissionPage).where(col(SubmissionPage.submission_id) == work.id))
                session.execute(delete(Feedback).where(col(Feedback.submission_id) == work.id))
                session.execute(delete(PostalItem).where(col(PostalItem.submission_id) == work.id))
                session.delete(work)
            graded = [work.id for work in works[:20] if work.status == "graded"]
            session.execute(
                insert(Feedback),
                [
                    {"submission_id": work, "formative_score": self.rng.randint(1, 10), "text": ""}
                    for work in graded
                ],
            )
            homework = session.execute(select(Homework).order_by(func.random()).limit(1)).scalar_one()
            homework.group_id = self.rng.choice([g for g in self.groups if g != homework.group_id])
        k = self.rng.randrange(5)
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE feedback SET formative_score = 1 + id % 10 WHERE id % 5 = :k"), {"k": k}
            )
            conn.execute(text("DELETE FROM feedback WHERE id % 17 = :k"), {"k": k})
            conn.execute(text("UPDATE submission SET late = NOT late WHERE id % 9 = :k"), {"k": k})
            # diagnostics: a work becomes a final one, an entry is re-dated, a grade gets points
            conn.execute(
                text("UPDATE homework SET kind = 'diagnostic', label = 'final' WHERE id % 23 = :k"), {"k": k}
            )
            conn.execute(
                text("UPDATE homework SET due_at = created_at WHERE label = 'entry' AND id % 3 = :k"),
                {"k": k % 3},
            )
            conn.execute(
                text("UPDATE feedback SET points = id % 7, max_points = 6 WHERE id % 19 = :k"), {"k": k}
            )
            member = conn.execute(
                text("SELECT id, pupil_id FROM group_member ORDER BY id LIMIT 1 OFFSET :k"), {"k": k}
            ).one()
            conn.execute(text("DELETE FROM group_member WHERE id = :id"), {"id": member.id})
            joined = self.rng.choice([g for g in self.groups])
            taken = conn.execute(
                text("SELECT 1 FROM group_member WHERE group_id = :g AND pupil_id = :p"),
                {"g": joined, "p": member.pupil_id},
            ).first()
            if taken is None:
                conn.execute(insert(GroupMember).values(group_id=joined, pupil_id=member.pupil_id))


def assert_growth_is_the_ranking(session: Session, reader: int) -> None:
    """Knowledge growth from the tally is the growth ranked from every grade, once nothing is graded
    after the moment it is read as of; a moment before the latest grade is ranked from the grades."""
    scope = scope_of(session, reader)
    assert scope is not None
    later = datetime.now(UTC) + timedelta(days=1)

    def rounded(statement: Any) -> list[tuple[Any, ...]]:
        rows = session.execute(statement).all()
        return sorted((s, g, round(float(total or 0), 6), int(n), int(e)) for s, g, total, n, e in rows)

    from_tally = rounded(growth.growth_tallied(scope))
    assert from_tally == rounded(growth.growth_by_group(scope, later))
    assert sum(n for *_rest, n, _e in from_tally) > 0  # some pupils sat both diagnostics
    assert rounded(growth.growth_rows(session, scope, later)) == from_tally
    latest = session.execute(select(func.max(col(Feedback.created_at)))).scalar_one()
    assert "growth_tally" not in str(growth.growth_rows(session, scope, latest))
    assert "growth_tally" in str(growth.growth_rows(session, scope, later))


def read(engine: Engine, reader: int, period: periods.Period) -> Overview:
    with Session(engine) as session:
        scope = scope_of(session, reader)
        assert scope is not None
        return overview(session, Reading(scope, period, ZONE, NOW, "kk"))


def settled(seen: Overview) -> Overview:
    """The overview with each knowledge growth total rounded to a billionth of a per cent. It is a
    sum of floats whose order PostgreSQL's aggregation does not fix (289.99999999999994 against 290.0
    from the same grades), while the page shows it to a tenth; every count is compared as it is."""

    def fix(figures: Figures) -> Figures:
        return replace(figures, growth_total=round(figures.growth_total, 9))

    units = {
        kind: [replace(unit, figures=fix(unit.figures)) for unit in rows] for kind, rows in seen.units.items()
    }
    return replace(seen, total=fix(seen.total), units=units)


def test_the_tallies_and_the_overview_stay_the_marks_whatever_writes_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_district(engine, 3, 12)
    fill_term(engine, TODAY)
    changes = Changes(engine, seed=20)
    steps = (changes.through_the_orm, changes.in_bulk, changes.raw, changes.works_change, changes.people_move)
    for step in steps * 2:
        step()
        with Session(engine) as session:
            assert tallied(session) == recounted(session), step.__name__
            assert growth_tallied(session) == growth_recounted(session), step.__name__
    with Session(engine) as session:
        assert tally.tallied(scope_of(session, world.district))  # type: ignore[arg-type]
        assert_growth_is_the_ranking(session, world.district)
    from_tallies = {name: read(engine, world.district, period) for name, period in PERIODS.items()}
    monkeypatch.setattr(tally, "tallied", lambda _scope: False)
    for name, period in PERIODS.items():
        from_marks = read(engine, world.district, period)
        assert from_marks.total.marks, name
        assert from_marks.total.on_time + from_marks.total.scored or name == "this month", name
        assert settled(from_tallies[name]) == settled(from_marks), name


@pytest.mark.parametrize(
    ("start", "stop", "first", "last", "days"),
    [
        # Tuesday to Sunday: one whole week, Tuesday and Wednesday of the week before it
        (date(2026, 9, 1), date(2026, 9, 13), date(2026, 9, 7), date(2026, 9, 7), [(1, 6)]),
        # Monday to a Thursday: two whole weeks and the Thursday's week so far
        (date(2026, 11, 16), TODAY, date(2026, 11, 16), date(2026, 11, 23), [(30, 3)]),
        # within one week: every day from the marks
        (date(2026, 12, 1), TODAY, None, None, [(1, 3)]),
    ],
)
def test_a_period_is_its_whole_weeks_and_the_days_around_them(
    start: date, stop: date, first: date | None, last: date | None, days: list[tuple[int, int]]
) -> None:
    district = monitoring_scope(school_ids=frozenset({1}))
    found = tally.split(district, start, stop)
    assert (found.first, found.last) == (first, last)
    assert [(low.day, high.day) for low, high in found.days] == days
    assert tally.split(monitoring_scope(class_ids=frozenset({1})), start, stop).days == ((start, stop),)


def test_a_period_is_read_as_whole_blocks_weeks_and_days_each_day_once() -> None:
    """Any two dates: the split's blocks, weeks and days hold every day between them once, the
    blocks and weeks start where their tallies do, and at most three weeks and six days are left at
    each end of the blocks."""
    district = monitoring_scope(school_ids=frozenset({1}))
    rng = random.Random(4)
    seen_blocks = 0
    for _ in range(400):
        start = date(2026, 8, 1) + timedelta(days=rng.randrange(120))
        stop = start + timedelta(days=rng.randrange(300))
        found = tally.split(district, start, stop)
        counted: list[date] = []
        for low, high in found.days:
            counted += [low + timedelta(days=n) for n in range((high - low).days + 1)]
        for low, high in found.weeks:
            assert low.weekday() == high.weekday() == 0
            counted += [low + timedelta(days=n) for n in range((high - low).days + 7)]
        if found.blocks is not None:
            seen_blocks += 1
            low, high = found.blocks
            assert block_of(low) == low and block_of(high) == high
            counted += [low + timedelta(days=n) for n in range((high - low).days + 28)]
            assert all(len(range(0, (b - a).days + 7, 7)) <= 3 for a, b in found.weeks)
        assert sorted(counted) == [start + timedelta(days=n) for n in range((stop - start).days + 1)]
        assert found.first is None or all((high - low).days < 6 for low, high in found.days)
    assert seen_blocks > 300


def monitoring_scope(**given: Any) -> Scope:
    return Scope(person_id=1, level=DISTRICT, **given)


def test_the_migration_counts_the_facts_already_stored(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    from models.migrate import alembic_config, upgrade

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017_pages")
    world = build_district(engine, 2, 10)
    fill_term(engine, TODAY)
    upgrade(engine)
    with Session(engine) as session:
        assert tallied(session) == recounted(session)
        assert all(recounted(session).values())
    from_tallies = read(engine, world.district, PERIODS["year"])
    monkeypatch.setattr(tally, "tallied", lambda _scope: False)
    from_facts = read(engine, world.district, PERIODS["year"])
    assert from_tallies == from_facts
    assert from_facts.total.marks and from_facts.total.on_time and from_facts.total.scored
