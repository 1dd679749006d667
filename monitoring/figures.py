"""The overview's figures, counted by the database: consent, attendance, work handed in on time,
the average formative score and knowledge growth, over a period, for a scope.

Each measure is one `GROUP BY` query whose rows are per school (the pupil's) and group; those few
hundred or thousand rows are added up in Python into the figures per school, group, tutor and in
all (`Figures.add`). Counts of pupils are not additive (a pupil sits in two groups), so they are
counted per school, group and tutor by three small queries of their own.

What each figure counts:

* consent: pupils with a parent's consent standing at the end of the period (or now) / pupils;
* attendance: marks present or late / every mark, on lessons in the period; absences by reason
  where the pupil or a parent reported one;
* on time: works handed in before the deadline / works due in the period (and already due), one
  per pupil of the group and homework;
* average score: the formative scores (1–10) of works graded in the period, each work's latest;
* growth: `monitoring.growth`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, null, select
from sqlmodel import Session, col

from models.enums import AttendanceStatus, Role, SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.people import Membership
from models.school import GroupMember, TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring.growth import growth_by_group
from monitoring.periods import Period
from monitoring.scope import Scope
from monitoring.sql import Rows, consented, latest_feedback, local_day, monday_of, pupil_membership

COUNTED = (SubmissionStatus.SUBMITTED.value, SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
SCORES = range(1, 11)
Key = tuple[int | None, int | None]  # (the pupil's school, the group)


def _absence_reason() -> Any:
    """The reason a pupil or a parent gave for an absence, where the store keeps one (reported
    absences add `Attendance.reason`); None before that."""
    return getattr(Attendance, "reason", None)


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
        for name in (
            "pupils", "consented", "present", "late", "absent", "expected", "on_time", "handed_late",
            "score_total", "scored", "growth_total", "grown", "entered",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
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
    """What a figure is read over: a scope, a period, the school's time zone, and now."""

    scope: Scope
    period: Period
    zone: ZoneInfo
    now: datetime

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


def attendance_rows(reading: Reading) -> Rows:
    reason = _absence_reason()
    reason_column = reason if reason is not None else null()
    return (
        select(
            col(Membership.school_id),
            col(Lesson.group_id),
            col(Attendance.status),
            reason_column,
            func.count(),
        )
        .select_from(Attendance)
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .join(Membership, pupil_membership(col(Attendance.pupil_id)))
        .where(
            col(Attendance.on_date) >= reading.period.start,
            col(Attendance.on_date) <= min(reading.period.end, reading.today),
            col(Attendance.pupil_id).in_(reading.pupils()),
            col(Lesson.group_id).in_(reading.groups()),
        )
        .group_by(col(Membership.school_id), col(Lesson.group_id), col(Attendance.status), reason_column)
    )


def handed_in(on_time: bool) -> Any:
    """A counted work of the pupil (`GroupMember.pupil_id`) for the homework; before the deadline."""
    found = select(col(Submission.id)).where(
        col(Submission.homework_id) == col(Homework.id),
        col(Submission.pupil_id) == col(GroupMember.pupil_id),
        col(Submission.status).in_(COUNTED),
    )
    if on_time:
        found = found.where(col(Submission.late).is_(False))
    return found.exists()


def due_works(reading: Reading, *columns: Any) -> Rows:
    """One row per pupil of a group and homework due in the period (and already due)."""
    return (
        select(*columns)
        .select_from(Homework)
        .join(GroupMember, col(GroupMember.group_id) == col(Homework.group_id))
        .join(Membership, pupil_membership(col(GroupMember.pupil_id)))
        .where(
            col(Homework.due_at) >= reading.begin,
            col(Homework.due_at) < reading.after,
            col(Homework.group_id).in_(reading.groups()),
            col(GroupMember.pupil_id).in_(reading.pupils()),
        )
    )


def work_rows(reading: Reading) -> Rows:
    on_time, handed = handed_in(on_time=True), handed_in(on_time=False)
    return due_works(
        reading,
        col(Membership.school_id),
        col(Homework.group_id),
        func.count(),
        func.sum(case((on_time, 1), else_=0)),
        func.sum(case((handed & ~on_time, 1), else_=0)),
    ).group_by(col(Membership.school_id), col(Homework.group_id))


def graded(reading: Reading, *columns: Any) -> Rows:
    """Works graded in the period, each with its latest feedback."""
    return (
        select(*columns)
        .select_from(Feedback)
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(Membership, pupil_membership(col(Submission.pupil_id)))
        .where(
            col(Submission.status) == SubmissionStatus.GRADED.value,
            col(Feedback.created_at) >= reading.begin,
            col(Feedback.created_at) < reading.after,
            latest_feedback(Feedback),
            col(Submission.pupil_id).in_(reading.pupils()),
            col(Homework.group_id).in_(reading.groups()),
        )
    )


def score_rows(reading: Reading) -> Rows:
    return graded(
        reading,
        col(Membership.school_id),
        col(Homework.group_id),
        func.coalesce(func.sum(col(Feedback.formative_score)), 0),
        func.count(col(Feedback.formative_score)),
    ).group_by(col(Membership.school_id), col(Homework.group_id))


def measure(session: Session, reading: Reading) -> dict[Key, Figures]:
    """Every additive figure per (the pupil's school, group)."""
    cells: dict[Key, Figures] = {}

    def at(school: int | None, group: int | None) -> Figures:
        return cells.setdefault((school, group), Figures())

    for school, group, status, reason, count in session.execute(attendance_rows(reading)).all():
        figures = at(school, group)
        if status == AttendanceStatus.ABSENT.value:
            figures.absent += count
            if reason:
                figures.reasons[reason] += count
        elif status == AttendanceStatus.LATE.value:
            figures.late += count
        elif status == AttendanceStatus.PRESENT.value:
            figures.present += count
    for school, group, expected, on_time, late in session.execute(work_rows(reading)).all():
        figures = at(school, group)
        figures.expected += expected
        figures.on_time += int(on_time or 0)
        figures.handed_late += int(late or 0)
    for school, group, total, count in session.execute(score_rows(reading)).all():
        figures = at(school, group)
        figures.score_total += int(total or 0)
        figures.scored += count
    rows = growth_by_group(reading.pupils(), reading.groups(), reading.after)
    for school, group, total, grown, entered in session.execute(rows).all():
        figures = at(school, group)
        figures.growth_total += float(total or 0.0)
        figures.grown += int(grown or 0)
        figures.entered += int(entered or 0)
    return cells


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
    rows = session.execute(
        select(col(Membership.school_id), func.count(), func.sum(case((has, 1), else_=0)))
        .where(col(Membership.role) == Role.PUPIL.value, col(Membership.person_id).in_(reading.pupils()))
        .group_by(col(Membership.school_id))
    ).all()
    return {school: PupilCount(count, int(yes or 0)) for school, count, yes in rows}


def pupils_by_group(session: Session, reading: Reading) -> dict[int, PupilCount]:
    has = consented(col(GroupMember.pupil_id), reading.after)
    rows = session.execute(
        select(col(GroupMember.group_id), func.count(), func.sum(case((has, 1), else_=0)))
        .where(
            col(GroupMember.pupil_id).in_(reading.pupils()), col(GroupMember.group_id).in_(reading.groups())
        )
        .group_by(col(GroupMember.group_id))
    ).all()
    return {group: PupilCount(count, int(yes or 0)) for group, count, yes in rows}


def pupils_by_tutor(session: Session, reading: Reading) -> dict[int, PupilCount]:
    has = consented(col(GroupMember.pupil_id), reading.after)
    rows = session.execute(
        select(
            col(TutoringGroup.tutor_id),
            func.count(func.distinct(col(GroupMember.pupil_id))),
            func.count(func.distinct(case((has, col(GroupMember.pupil_id)), else_=None))),
        )
        .join(TutoringGroup, col(TutoringGroup.id) == col(GroupMember.group_id))
        .where(
            col(GroupMember.pupil_id).in_(reading.pupils()), col(GroupMember.group_id).in_(reading.groups())
        )
        .where(col(TutoringGroup.tutor_id).is_not(None))
        .group_by(col(TutoringGroup.tutor_id))
    ).all()
    return {tutor: PupilCount(count, int(yes or 0)) for tutor, count, yes in rows}


def with_pupils(figures: dict[Hashable, Figures], counts: dict[int, PupilCount]) -> dict[Hashable, Figures]:
    """The figures with their pupils' counts; a unit with pupils but nothing else yet is kept."""
    for key, count in counts.items():
        unit = figures.setdefault(key, Figures())
        unit.pupils, unit.consented = count.pupils, count.consented
    return figures


# -- the charts' figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: date
    attendance: float | None
    on_time: float | None


def weekly(session: Session, reading: Reading) -> list[Week]:
    """Attendance and work on time per week of the period (a week with neither is left out)."""
    day = col(Attendance.on_date)
    monday = monday_of(session, day)
    attended: dict[str, list[int]] = {}
    for week, status, count in session.execute(
        select(monday, col(Attendance.status), func.count())
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .where(
            day >= reading.period.start,
            day <= min(reading.period.end, reading.today),
            col(Attendance.pupil_id).in_(reading.pupils()),
            col(Lesson.group_id).in_(reading.groups()),
        )
        .group_by(monday, col(Attendance.status))
    ).all():
        totals = attended.setdefault(str(week), [0, 0])
        totals[1] += count
        if status != AttendanceStatus.ABSENT.value:
            totals[0] += count
    due_week = monday_of(session, local_day(session, col(Homework.due_at), reading.zone))
    on_time = handed_in(on_time=True)
    works = {
        str(week): (int(yes or 0), count)
        for week, count, yes in session.execute(
            due_works(reading, due_week, func.count(), func.sum(case((on_time, 1), else_=0))).group_by(
                due_week
            )
        ).all()
    }
    weeks = []
    for monday_day in reading.period.weeks():
        key = monday_day.isoformat()
        present, marks = attended.get(key, [0, 0])
        done, expected = works.get(key, (0, 0))
        if marks or expected:
            weeks.append(Week(monday_day, percent_of(present, marks), percent_of(done, expected)))
    return weeks


def score_spread(session: Session, reading: Reading) -> list[int]:
    """How many works got each formative score, 1 to 10, in the period."""
    score = col(Feedback.formative_score)
    found = dict(
        session.execute(graded(reading, score, func.count()).where(score.is_not(None)).group_by(score)).all()
    )
    return [int(found.get(n, 0)) for n in SCORES]


def total_of(units: Iterable[Figures]) -> Figures:
    total = Figures()
    for figures in units:
        total.add(figures)
    return total
