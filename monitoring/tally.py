"""Which part of a period the overview reads from the tallies (`models.tally`), and how.

The marks are tallied per day, per week and per block of four weeks (pure functions of the date),
so a period is read as its whole blocks, the whole weeks around them (at most three at each end) and
the days around those (at most six at each end): a year of a school reads a dozen spans of a few
thousand rows, not a row per group and week, and every period — a quarter, a year, the month so
far, two dates a reader chose — stays exact. The weekly trend is read from the schools' totals per
week (`AttendanceWeekTotal`) and the days around.

The works handed in and their scores are tallied per homework (`handed`, `scores`): a period picks
its homework by when they fall due, exactly as before, with no days around to count apart.

The tallies are kept per the pupil's school. A scope of whole schools (a district's, a school
coordinator's) is said on that column alone; a scope that names classes, groups or single pupils
(a class teacher, a tutor, one pupil's summary) holds a few hundred marks a week at most and is
counted from the marks whole, as `Scope.covers` says it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, union_all
from sqlmodel import col

from models.homework import Homework
from models.tally import (
    AttendanceBlockTally,
    AttendanceDayTally,
    AttendanceTally,
    AttendanceWeekTotal,
    ScoreTally,
    WorkTally,
)
from monitoring.scope import Scope
from monitoring.sql import Rows, unprobed

EPOCH = date(1970, 1, 5)  # a Monday: weeks and blocks are counted from it
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
BLOCK = timedelta(days=28)  # migration 0020_overview's blocks of four weeks


@dataclass(frozen=True)
class Split:
    """A span of days as the tallies hold it: the Mondays of its first and last whole week (`first`,
    `last`; None when it holds no whole week), the first days of its whole blocks of four weeks
    (`blocks`: first and last, or None), its other whole weeks (`weeks`: spans of Mondays, at most
    three weeks at each end) and the days around them (`days`, each `(low, high)`, at most six at
    each end)."""

    first: date | None
    last: date | None
    days: tuple[tuple[date, date], ...]
    blocks: tuple[date, date] | None = None
    weeks: tuple[tuple[date, date], ...] = ()


def tallied(scope: Scope) -> bool:
    """Whether `scope` is read from the tallies: whole schools and nothing narrower beside them."""
    return bool(scope.school_ids) and not (scope.class_ids or scope.group_ids or scope.only_pupils)


def whole(start: date, stop: date, length: timedelta) -> tuple[date, date] | None:
    """The first days of the first and the last unit of `length` (a week, a block; counted from
    `EPOCH`) that lie wholly from `start` to `stop` (both included); None when none does."""
    days = length.days
    first = start + timedelta(days=(EPOCH - start).days % days)
    end = stop + DAY
    end -= timedelta(days=(end - EPOCH).days % days)
    return (first, end - length) if first + length <= end else None


def split(scope: Scope, start: date, stop: date) -> Split:
    """The days from `start` to `stop` (both included) as whole blocks, whole weeks and the days
    around them; all of them days when `scope` is not `tallied`."""
    if start > stop:
        return Split(None, None, ())
    weeks = whole(start, stop, WEEK)
    if not tallied(scope) or weeks is None:
        return Split(None, None, ((start, stop),))
    first, last = weeks
    blocks = whole(first, last + WEEK - DAY, BLOCK)
    inside = [(first, last)] if blocks is None else [(first, blocks[0] - WEEK), (blocks[1] + BLOCK, last)]
    around = ((start, first - DAY), (last + WEEK, stop))
    return Split(
        first,
        last,
        tuple((low, high) for low, high in around if low <= high),
        blocks,
        tuple((low, high) for low, high in inside if low <= high),
    )


def monday(day: date) -> date:
    """The Monday of `day`'s week, as `monitoring.sql.monday_of` says it in SQL."""
    return day - timedelta(days=day.weekday())


COUNTS = ("present", "late", "absent", "excused")
Tally = type[AttendanceTally] | type[AttendanceDayTally] | type[AttendanceBlockTally]


def _spans(scope: Scope, found: Split) -> list[tuple[Tally, Any, date, date]]:
    """Each span the split reads, with its tally and the column it is keyed by: one range of the
    key per school, which the tables keep in that order."""
    spans: list[tuple[Tally, Any, date, date]] = [
        (AttendanceDayTally, AttendanceDayTally.day, low, high) for low, high in found.days
    ]
    spans += [(AttendanceTally, AttendanceTally.week, low, high) for low, high in found.weeks]
    if found.blocks is not None:
        spans.append((AttendanceBlockTally, AttendanceBlockTally.block, *found.blocks))
    return spans


def attendance_cells(scope: Scope, found: Split) -> Rows:
    """Per (the pupil's school, group, reason given) over the split's days, weeks and blocks: marks
    present, late and absent, and the absences excused. One statement: each span is a range of its
    tally's key per school, and the database adds the few thousand rows up."""
    parts = [
        select(
            col(table.school_id).label("school_id"),
            col(table.group_id).label("group_id"),
            col(table.reason).label("reason"),
            *(getattr(table, name) for name in COUNTS),
        ).where(col(table.school_id).in_(scope.school_ids), col(unit) >= low, col(unit) <= high)
        for table, unit, low, high in _spans(scope, found)
    ]
    rows = union_all(*parts).subquery()
    keys = [rows.c.school_id, rows.c.group_id, rows.c.reason]
    return select(*keys, *(func.sum(rows.c[name]) for name in COUNTS)).group_by(*keys)


def attendance_weeks(scope: Scope, found: Split) -> Rows:
    """Per week of the whole weeks (and blocks): marks present, late and absent, and the absences
    excused, from the schools' weekly totals."""
    week = col(AttendanceWeekTotal.week)
    assert found.first is not None and found.last is not None
    return (
        select(week, *(func.sum(getattr(AttendanceWeekTotal, name)) for name in COUNTS))
        .where(
            col(AttendanceWeekTotal.school_id).in_(scope.school_ids),
            week >= found.first,
            week <= found.last,
        )
        .group_by(week)
    )


def attendance_days(scope: Scope, found: Split) -> Rows:
    """Per day of the days around the whole weeks: the same four counts."""
    day = col(AttendanceDayTally.day)
    spans = [and_(day >= low, day <= high) for low, high in found.days]
    return (
        select(day, *(func.sum(getattr(AttendanceDayTally, name)) for name in COUNTS))
        .where(col(AttendanceDayTally.school_id).in_(scope.school_ids), or_(*spans))
        .group_by(day)
    )


def _handed(scope: Scope, due: list[Any], sums: Sequence[Any], *keys: Any) -> Rows:
    """The homework's tally rows tested against the scope's schools, not looked up once per school
    (`unprobed`): a district's 100 schools made 100 lookups of each homework."""
    return (
        select(*keys, *(func.sum(column) for column in sums))
        .select_from(Homework)
        .join(WorkTally, col(WorkTally.homework_id) == col(Homework.id))
        .where(*due, unprobed(WorkTally.school_id).in_(scope.school_ids))
        .group_by(*keys)
    )


HANDED = (
    col(WorkTally.on_time),
    col(WorkTally.late),
    col(WorkTally.score_total),
    col(WorkTally.scored),
)


def handed_cells(scope: Scope, due: list[Any]) -> Rows:
    """Per (the pupil's school, group) of the homework `due` picks: works handed in on time, and
    late, and the sum and number of their formative scores (a row per homework read, not one per
    pupil's work)."""
    return _handed(scope, due, HANDED, col(WorkTally.school_id), col(Homework.group_id))


def handed_deadlines(scope: Scope, due: list[Any]) -> Rows:
    """Per deadline of the homework `due` picks: works handed in on time, and late (put in their
    weeks by the caller: a few hundred deadlines, not a week worked out per homework)."""
    return _handed(scope, due, HANDED[:2], col(Homework.due_at))


def _scores(scope: Scope, due: list[Any], *columns: Any) -> Rows:
    return (
        select(*columns)
        .select_from(Homework)
        .join(ScoreTally, col(ScoreTally.homework_id) == col(Homework.id))
        .where(*due, unprobed(ScoreTally.school_id).in_(scope.school_ids))
    )


def score_spread(scope: Scope, due: list[Any]) -> Rows:
    """Per formative score, over the homework `due` picks: how many works got it."""
    score = col(ScoreTally.score)
    return _scores(scope, due, score, func.sum(col(ScoreTally.works))).group_by(score)
