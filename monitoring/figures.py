"""The overview's figures, counted by the database: consent, attendance, work handed in on time,
the average formative score and knowledge growth, over a period, for a scope.

Each measure is one `GROUP BY` query whose rows are per school (the pupil's) and group; those few
hundred or thousand rows are added up in Python into the figures per school, group, tutor and in
all (`Figures.add`). Counts of pupils are not additive (a pupil sits in two groups), so they are
counted per school, group and tutor by three small queries of their own.

What each figure counts:

* consent: pupils with a parent's consent standing at the end of the period (or now) / pupils;
* attendance: marks present or late / every mark, on lessons in the period; absences by the reason
  the pupil or a parent reported, and how many of them the tutor or assistant excused;
* on time: works handed in before the deadline / works due in the period (and already due), one
  per pupil of the group and homework;
* average score: the formative scores (1–10) of the works due in the period, each work's latest
  grade (the same works the e-journal export lists);
* growth: `monitoring.growth`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from locales import DEFAULT_LANGUAGE
from models.enums import AttendanceStatus, Role, SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.people import Membership
from models.school import GroupMember, TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring import tally
from monitoring.growth import growth_rows
from monitoring.periods import Period
from monitoring.scope import Scope
from monitoring.sql import Rows, consented, latest_feedback, monday_of, pupil_membership, unindexed

COUNTED = (SubmissionStatus.SUBMITTED.value, SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
SCORES = range(1, 11)
K = TypeVar("K")
Key = tuple[int | None, int | None]  # (the pupil's school, the group)


def percent_of(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """What the overview shows for one school, group, tutor, or all of a scope."""

    pupils: int = 0
    consented: int = 0
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0  # absences a family explained and the tutor or assistant excused
    expected: int = 0
    on_time: int = 0
    handed_late: int = 0
    score_total: int = 0
    scored: int = 0
    growth_total: float = 0.0
    grown: int = 0
    entered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, other: Figures) -> None:
        """Add `other`'s counts to these. Written out: a school's breakdowns add up thousands of
        cells, and a loop over the fields' names by `getattr` / `setattr` cost twice as much."""
        self.pupils += other.pupils
        self.consented += other.consented
        self.present += other.present
        self.late += other.late
        self.absent += other.absent
        self.excused += other.excused
        self.expected += other.expected
        self.on_time += other.on_time
        self.handed_late += other.handed_late
        self.score_total += other.score_total
        self.scored += other.scored
        self.growth_total += other.growth_total
        self.grown += other.grown
        self.entered += other.entered
        if other.reasons:
            self.reasons.update(other.reasons)

    @property
    def marks(self) -> int:
        return self.present + self.late + self.absent

    @property
    def missing(self) -> int:
        return self.expected - self.on_time - self.handed_late

    @property
    def consent_pct(self) -> float | None:
        return percent_of(self.consented, self.pupils)

    @property
    def attendance_pct(self) -> float | None:
        return percent_of(self.present + self.late, self.marks)

    @property
    def on_time_pct(self) -> float | None:
        return percent_of(self.on_time, self.expected)

    @property
    def avg_score(self) -> float | None:
        return round(self.score_total / self.scored, 1) if self.scored else None

    @property
    def growth(self) -> float | None:
        return round(self.growth_total / self.grown, 1) if self.grown else None


@dataclass(frozen=True)
class Reading:
    """What a figure is read over: a scope, a period, the school's time zone, and now; and the
    reader's language, whose alphabet orders the lists of names."""

    scope: Scope
    period: Period
    zone: ZoneInfo
    now: datetime
    language: str = DEFAULT_LANGUAGE

    @property
    def begin(self) -> datetime:
        return self.period.moments(self.zone)[0]

    @property
    def after(self) -> datetime:
        """The end of the period, or now when it has not ended yet: nothing after now is due."""
        return min(self.period.moments(self.zone)[1], self.now)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def pupils(self) -> Rows:
        return self.scope.pupils()

    def groups(self) -> Rows:
        return self.scope.groups()


def _status_sums() -> list[Any]:
    return [
        *(
            func.sum(case((col(Attendance.status) == status.value, 1), else_=0))
            for status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT)
        ),
        func.sum(case((col(Attendance.excused).is_(True), 1), else_=0)),
    ]


def attendance_rows(session: Session, reading: Reading, days: Iterable[tuple[date, date]]) -> Rows:
    """Per (the pupil's school, group, week, reason given): marks present, late and absent, and the
    absences excused, on the spans of `days` (each `(low, high)`, both included)."""
    week = monday_of(session, col(Attendance.on_date))
    keys = [col(Membership.school_id), col(Lesson.group_id), week, col(Attendance.reason)]
    on_days = [and_(col(Attendance.on_date) >= low, col(Attendance.on_date) <= high) for low, high in days]
    return (
        select(*keys, *_status_sums())
        .select_from(Attendance)
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .join(Membership, pupil_membership(col(Attendance.pupil_id)))
        .where(
            or_(*on_days),
            reading.scope.covers(Attendance.pupil_id),
            *reading.scope.in_groups(Lesson.group_id),
        )
        .group_by(*keys)
    )


def in_period(reading: Reading) -> list[Any]:
    """Homework due in the period, and already due."""
    return [
        col(Homework.due_at) >= reading.begin,
        col(Homework.due_at) < reading.after,
        *reading.scope.in_groups(Homework.group_id),
    ]


def handed(reading: Reading) -> Any:
    """Per homework due in the period and pupil of its group in scope who handed it in: its group,
    deadline and 0 when handed in on time, 1 when only late."""
    return (
        select(
            col(Submission.homework_id).label("homework_id"),
            col(Homework.group_id).label("group_id"),
            col(Submission.pupil_id).label("pupil_id"),
            col(Membership.school_id).label("school_id"),
            col(Homework.due_at).label("due_at"),
            func.min(case((col(Submission.late).is_(True), 1), else_=0)).label("late"),
        )
        .select_from(Homework)
        .join(Submission, col(Submission.homework_id) == col(Homework.id))
        .join(
            GroupMember,
            (col(GroupMember.group_id) == col(Homework.group_id))
            & (col(GroupMember.pupil_id) == col(Submission.pupil_id)),
        )
        .join(Membership, pupil_membership(col(Submission.pupil_id)))
        .where(
            *in_period(reading),
            unindexed(Submission.status).in_(COUNTED),
            reading.scope.covers(Submission.pupil_id),
        )
        .group_by(
            col(Submission.homework_id),
            col(Homework.group_id),
            col(Submission.pupil_id),
            col(Membership.school_id),
            col(Homework.due_at),
        )
        .subquery()
    )


def homework_by_group(reading: Reading) -> Rows:
    """Per group: how many homework fell due."""
    return (
        select(col(Homework.group_id), func.count())
        .where(*in_period(reading))
        .group_by(col(Homework.group_id))
    )


def expected_by_deadline(reading: Reading) -> Rows:
    """Per deadline: works due, each homework due × the pupils of its group in scope. Summed by the
    database per deadline (a row per group and week would be tens of thousands for a school of
    4,000); the few hundred deadlines are put in their weeks by `Measured.due_week`, which is cheaper
    than the database working out the week of each homework. Only the groups with homework due are
    counted: a month's few, not the school's every group."""
    due = select(col(Homework.group_id)).where(*in_period(reading))
    pupils = (
        select(col(GroupMember.group_id).label("group_id"), func.count().label("pupils"))
        .join(Membership, pupil_membership(col(GroupMember.pupil_id)))
        .where(
            col(GroupMember.group_id).in_(due),
            reading.scope.covers(GroupMember.pupil_id),
            *reading.scope.in_groups(GroupMember.group_id),
        )
        .group_by(col(GroupMember.group_id))
        .subquery()
    )
    return (
        select(col(Homework.due_at), func.sum(pupils.c.pupils))
        .select_from(Homework)
        .join(pupils, pupils.c.group_id == col(Homework.group_id))
        .where(*in_period(reading))
        .group_by(col(Homework.due_at))
    )


def members_rows(reading: Reading) -> Rows:
    """Per (the pupil's school, group): the group's pupils in scope."""
    return (
        select(col(Membership.school_id), col(GroupMember.group_id), func.count())
        .select_from(GroupMember)
        .join(Membership, pupil_membership(col(GroupMember.pupil_id)))
        .where(reading.scope.covers(GroupMember.pupil_id), *reading.scope.in_groups(GroupMember.group_id))
        .group_by(col(Membership.school_id), col(GroupMember.group_id))
    )


def handed_rows(reading: Reading) -> Rows:
    """Per (the pupil's school, group, deadline): works handed in on time, and late."""
    works = handed(reading)
    return (
        select(
            works.c.school_id,
            works.c.group_id,
            works.c.due_at,
            func.sum(case((works.c.late == 0, 1), else_=0)),
            func.sum(case((works.c.late == 1, 1), else_=0)),
        )
        .select_from(works)
        .group_by(works.c.school_id, works.c.group_id, works.c.due_at)
    )


def graded(reading: Reading, *columns: Any) -> Rows:
    """Works due in the period and graded, each with its latest feedback."""
    return (
        select(*columns)
        .select_from(Homework)
        .join(Submission, col(Submission.homework_id) == col(Homework.id))
        .join(Feedback, col(Feedback.submission_id) == col(Submission.id))
        .join(Membership, pupil_membership(col(Submission.pupil_id)))
        .where(
            *in_period(reading),
            unindexed(Submission.status) == SubmissionStatus.GRADED.value,
            latest_feedback(Feedback),
            reading.scope.covers(Submission.pupil_id),
        )
    )


def score_rows(reading: Reading) -> Rows:
    """Per (the pupil's school, group, formative score): how many works got it."""
    score = col(Feedback.formative_score)
    return (
        graded(reading, col(Membership.school_id), col(Homework.group_id), score, func.count())
        .where(score.is_not(None))
        .group_by(col(Membership.school_id), col(Homework.group_id), score)
    )


@dataclass(frozen=True)
class Week:
    monday: date
    attendance: float | None
    on_time: float | None


@dataclass
class Measured:
    """The additive figures per (the pupil's school, group), and the charts' series, from one pass
    over each kind of row."""

    cells: dict[Key, Figures] = field(default_factory=dict)
    weeks: dict[str, Figures] = field(default_factory=dict)  # by Monday, 'YYYY-MM-DD'
    scores: list[int] = field(default_factory=lambda: [0] * len(SCORES))
    mondays: dict[datetime, str] = field(default_factory=dict)  # a deadline's week, by `due_week`

    def at(self, school: int | None, group: int | None) -> Figures:
        return _entry(self.cells, (school, group))

    def week(self, monday: Any) -> Figures:
        return _entry(self.weeks, str(monday))

    def due_week(self, deadline: datetime, zone: ZoneInfo) -> Figures:
        """The figures of the week a deadline (a stored UTC moment) falls in, in `zone`; each deadline
        worked out once (a scope's rows repeat them per school and group)."""
        monday = self.mondays.get(deadline)
        if monday is None:
            aware = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
            monday = self.mondays[deadline] = tally.monday(aware.astimezone(zone).date()).isoformat()
        return _entry(self.weeks, monday)

    def series(self, period: Period) -> list[Week]:
        """Attendance and work on time per week of the period (a week with neither is left out)."""
        found = []
        for monday in period.weeks():
            figures = self.weeks.get(monday.isoformat())
            if figures is not None and (figures.marks or figures.expected):
                found.append(Week(monday, figures.attendance_pct, figures.on_time_pct))
        return found


def _entry(figures: dict[K, Figures], key: K) -> Figures:
    """The figures under `key`, made on first use only: `setdefault(key, Figures())` would make (and
    throw away) one, with its Counter, for each of the tens of thousands of rows a school adds up."""
    found = figures.get(key)
    if found is None:
        found = figures[key] = Figures()
    return found


def _rows(session: Session, statement: Rows) -> list[Any]:
    """A measure's rows as plain tuples, read through the session's connection: these are counts,
    not objects, and the ORM's per-row work would cost a school of thousands a third of the page."""
    return list(session.connection().execute(statement).all())


def measure(session: Session, reading: Reading) -> Measured:
    """Every additive figure per (the pupil's school, group), with the weekly trend and the scores'
    spread added up from the same rows."""
    found = Measured()
    _count_attendance(session, reading, found)
    _count_expected(session, reading, found)
    _count_handed(session, reading, found)
    _count_scores(session, reading, found)
    for school, group, total, grown, entered in _rows(
        session, growth_rows(session, reading.scope, reading.after)
    ):
        figures = found.at(school, group)
        figures.growth_total += float(total or 0.0)
        figures.grown += int(grown or 0)
        figures.entered += int(entered or 0)
    return found


def _count_expected(session: Session, reading: Reading, found: Measured) -> None:
    """Works due: each homework due × the pupils of its group in scope, per school and group, and
    per week."""
    members: dict[int, list[tuple[int | None, int]]] = {}
    for school, group, count in _rows(session, members_rows(reading)):
        members.setdefault(group, []).append((school, int(count)))
    for group, homework in _rows(session, homework_by_group(reading)):
        for school, count in members.get(group, []):
            found.at(school, group).expected += int(homework) * count
    for deadline, expected in _rows(session, expected_by_deadline(reading)):
        found.due_week(deadline, reading.zone).expected += int(expected or 0)


def _count_scores(session: Session, reading: Reading, found: Measured) -> None:
    """The formative scores: their sum and number per school and group, and how many got each; for
    a scope the tallies key, the sums come with the works handed in (`_count_handed`) and only
    how many got each is read here."""
    if not tally.tallied(reading.scope):
        for school, group, score, count in _rows(session, score_rows(reading)):
            figures = found.at(school, group)
            figures.score_total += int(score) * int(count)
            figures.scored += int(count)
            _add_spread(found, score, count)
        return
    for score, count in _rows(session, tally.score_spread(reading.scope, in_period(reading))):
        _add_spread(found, score, count)


def _add_spread(found: Measured, score: Any, count: Any) -> None:
    if 1 <= int(score) <= len(SCORES):
        found.scores[int(score) - 1] += int(count)


def _count_handed(session: Session, reading: Reading, found: Measured) -> None:
    """Works handed in on time and late: from the tallies, per school and group (with the sum and
    number of their scores) and per week apart (two short lists, not their product), for a scope
    they key; else from the works."""
    if not tally.tallied(reading.scope):
        for school, group, deadline, on_time, late in _rows(session, handed_rows(reading)):
            _add_handed(found.at(school, group), on_time, late)
            _add_handed(found.due_week(deadline, reading.zone), on_time, late)
        return
    due = in_period(reading)
    for school, group, on_time, late, total, scored in _rows(session, tally.handed_cells(reading.scope, due)):
        figures = found.at(school, group)
        _add_handed(figures, on_time, late)
        figures.score_total += int(total or 0)
        figures.scored += int(scored or 0)
    for deadline, on_time, late in _rows(session, tally.handed_deadlines(reading.scope, due)):
        _add_handed(found.due_week(deadline, reading.zone), on_time, late)


def _add_handed(figures: Figures, on_time: Any, late: Any) -> None:
    figures.on_time += int(on_time or 0)
    figures.handed_late += int(late or 0)


def _count_attendance(session: Session, reading: Reading, found: Measured) -> None:
    """The attendance figures: from the tallies by day, week and block (`monitoring.tally`) for a
    scope of whole schools; else every day from the marks."""
    start, stop = reading.period.start, min(reading.period.end, reading.today)
    if start > stop:
        return
    if not tally.tallied(reading.scope):
        for school, group, week, reason, *counts in _rows(
            session, attendance_rows(session, reading, [(start, stop)])
        ):
            _add_marks(found.at(school, group), reason, counts)
            _add_marks(found.week(week), reason, counts)
        return
    days = tally.split(reading.scope, start, stop)
    for school, group, reason, *counts in _rows(session, tally.attendance_cells(reading.scope, days)):
        _add_marks(found.at(school, group), reason, counts)
    if days.first is not None:
        for week, *counts in _rows(session, tally.attendance_weeks(reading.scope, days)):
            _add_marks(found.week(week), None, counts)
    if days.days:
        for day, *counts in _rows(session, tally.attendance_days(reading.scope, days)):
            _add_marks(found.week(tally.monday(day)), None, counts)


def _add_marks(figures: Figures, reason: str | None, counts: list[Any]) -> None:
    """Marks present, late, absent and the absences excused, with the reason given for them."""
    present, late, absent, excused = counts
    figures.present += int(present or 0)
    figures.late += int(late or 0)
    figures.absent += int(absent or 0)
    figures.excused += int(excused or 0)
    if reason and absent:
        figures.reasons[reason] += int(absent)


def rollup(cells: dict[Key, Figures], key: Callable[[Key], Hashable]) -> dict[Hashable, Figures]:
    """The cells added up by `key` (a school, a group, a tutor; `None` drops the cell)."""
    found: dict[Hashable, Figures] = {}
    for cell_key, figures in cells.items():
        unit = key(cell_key)
        if unit is not None:
            found.setdefault(unit, Figures()).add(figures)
    return found


@dataclass(frozen=True)
class PupilCount:
    pupils: int
    consented: int


def pupils_by_school(session: Session, reading: Reading) -> dict[int, PupilCount]:
    has = consented(col(Membership.person_id), reading.after)
    rows = _rows(
        session,
        select(col(Membership.school_id), func.count(), func.sum(case((has, 1), else_=0)))
        .where(col(Membership.role) == Role.PUPIL.value, reading.scope.covers(Membership.person_id))
        .group_by(col(Membership.school_id)),
    )
    return {school: PupilCount(count, int(yes or 0)) for school, count, yes in rows}


def pupils_by_group(session: Session, reading: Reading) -> dict[int, PupilCount]:
    has = consented(col(GroupMember.pupil_id), reading.after)
    rows = _rows(
        session,
        select(col(GroupMember.group_id), func.count(), func.sum(case((has, 1), else_=0)))
        .join(Membership, pupil_membership(col(GroupMember.pupil_id)))
        .where(reading.scope.covers(GroupMember.pupil_id), *reading.scope.in_groups(GroupMember.group_id))
        .group_by(col(GroupMember.group_id)),
    )
    return {group: PupilCount(count, int(yes or 0)) for group, count, yes in rows}


def pupils_by_tutor(session: Session, reading: Reading) -> dict[int, PupilCount]:
    has = consented(col(GroupMember.pupil_id), reading.after)
    rows = _rows(
        session,
        select(
            col(TutoringGroup.tutor_id),
            func.count(func.distinct(col(GroupMember.pupil_id))),
            func.count(func.distinct(case((has, col(GroupMember.pupil_id)), else_=None))),
        )
        .join(TutoringGroup, col(TutoringGroup.id) == col(GroupMember.group_id))
        .join(Membership, pupil_membership(col(GroupMember.pupil_id)))
        .where(reading.scope.covers(GroupMember.pupil_id), *reading.scope.in_groups(GroupMember.group_id))
        .where(col(TutoringGroup.tutor_id).is_not(None))
        .group_by(col(TutoringGroup.tutor_id)),
    )
    return {tutor: PupilCount(count, int(yes or 0)) for tutor, count, yes in rows}


def with_pupils(figures: dict[Hashable, Figures], counts: dict[int, PupilCount]) -> dict[Hashable, Figures]:
    """The figures with their pupils' counts; a unit with pupils but nothing else yet is kept."""
    for key, count in counts.items():
        unit = figures.setdefault(key, Figures())
        unit.pupils, unit.consented = count.pupils, count.consented
    return figures


def total_of(units: Iterable[Figures]) -> Figures:
    total = Figures()
    for figures in units:
        total.add(figures)
    return total
