"""Which part of a period the overview reads from the tallies (`models.tally`), and how.

A tally row holds one week (Monday to Sunday), so a period is read as its whole weeks from the
tallies and the days at either end that only part of a week covers (at most six at each end) from
the marks, as before: every period — a quarter, a year, two dates a reader chose — stays exact.

The works handed in and their scores are tallied per homework (`handed`, `scores`): a period picks
its homework by when they fall due, exactly as before, with no days around to count apart.

The tallies are kept per the pupil's school. A scope of whole schools (a district's, a school
coordinator's) is said on that column alone; a scope that names classes, groups or single pupils
(a class teacher, a tutor, one pupil's summary) holds a few hundred marks a week at most and is
counted from the marks whole, as `Scope.covers` says it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from models.homework import Homework
from models.tally import AttendanceTally, ScoreTally, WorkTally
from monitoring.scope import Scope
from monitoring.sql import Rows, unprobed

WEEK = timedelta(days=7)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Split:
    """A span of days as the Mondays of its whole weeks (`first` to `last`, both included; none when
    it holds no whole week) and the spans of days around them (`days`, each `(low, high)`)."""

    first: date | None
    last: date | None
    days: tuple[tuple[date, date], ...]


def tallied(scope: Scope) -> bool:
    """Whether `scope` is read from the tallies: whole schools and nothing narrower beside them."""
    return bool(scope.school_ids) and not (scope.class_ids or scope.group_ids or scope.only_pupils)


def split(scope: Scope, start: date, stop: date) -> Split:
    """The days from `start` to `stop` (both included) as whole weeks and the days around them; all
    of them days when `scope` is not `tallied`."""
    if start > stop:
        return Split(None, None, ())
    first = start + timedelta(days=(7 - start.weekday()) % 7)
    last = stop - timedelta(days=(stop.weekday() + 1) % 7) - 6 * DAY  # the Monday of the last whole week
    if not tallied(scope) or last < first:
        return Split(None, None, ((start, stop),))
    around = ((start, first - DAY), (last + WEEK, stop))
    return Split(first, last, tuple((low, high) for low, high in around if low <= high))


COUNTS = (AttendanceTally.present, AttendanceTally.late, AttendanceTally.absent, AttendanceTally.excused)


def _sums() -> list[Any]:
    return [func.sum(col(count)) for count in COUNTS]


def _within(scope: Scope, found: Split) -> list[Any]:
    return [
        col(AttendanceTally.school_id).in_(scope.school_ids),
        col(AttendanceTally.week) >= found.first,
        col(AttendanceTally.week) <= found.last,
    ]


def attendance_cells(scope: Scope, found: Split) -> Rows:
    """Per (the pupil's school, group, reason given) over the whole weeks: marks present, late and
    absent, and the absences excused."""
    keys = [col(AttendanceTally.school_id), col(AttendanceTally.group_id), col(AttendanceTally.reason)]
    return select(*keys, *_sums()).where(*_within(scope, found)).group_by(*keys)


def attendance_weeks(scope: Scope, found: Split) -> Rows:
    """Per week of the whole weeks: marks present, late and absent, and the absences excused."""
    week = col(AttendanceTally.week)
    return select(week, *_sums()).where(*_within(scope, found)).group_by(week)


def _handed(scope: Scope, due: list[Any], *keys: Any) -> Rows:
    """The homework's tally rows tested against the scope's schools, not looked up once per school
    (`unprobed`): a district's 100 schools made 100 lookups of each homework."""
    return (
        select(*keys, func.sum(col(WorkTally.on_time)), func.sum(col(WorkTally.late)))
        .select_from(Homework)
        .join(WorkTally, col(WorkTally.homework_id) == col(Homework.id))
        .where(*due, unprobed(WorkTally.school_id).in_(scope.school_ids))
        .group_by(*keys)
    )


def handed_cells(scope: Scope, due: list[Any]) -> Rows:
    """Per (the pupil's school, group) of the homework `due` picks: works handed in on time, and late
    (a row per homework read, not one per pupil's work)."""
    return _handed(scope, due, col(WorkTally.school_id), col(Homework.group_id))


def handed_weeks(scope: Scope, due: list[Any], week: Any) -> Rows:
    """Per `week` due of the homework `due` picks: works handed in on time, and late."""
    return _handed(scope, due, week)


def _scores(scope: Scope, due: list[Any], *columns: Any) -> Rows:
    return (
        select(*columns)
        .select_from(Homework)
        .join(ScoreTally, col(ScoreTally.homework_id) == col(Homework.id))
        .where(*due, unprobed(ScoreTally.school_id).in_(scope.school_ids))
    )


def score_cells(scope: Scope, due: list[Any]) -> Rows:
    """Per (the pupil's school, group) of the homework `due` picks: the sum of the formative scores
    and how many works were scored."""
    keys = [col(ScoreTally.school_id), col(Homework.group_id)]
    works = col(ScoreTally.works)
    total = func.sum(col(ScoreTally.score) * works)
    return _scores(scope, due, *keys, total, func.sum(works)).group_by(*keys)


def score_spread(scope: Scope, due: list[Any]) -> Rows:
    """Per formative score, over the homework `due` picks: how many works got it."""
    score = col(ScoreTally.score)
    return _scores(scope, due, score, func.sum(col(ScoreTally.works))).group_by(score)
