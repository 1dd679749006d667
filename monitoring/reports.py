"""What the reports that leave the building read: the e-journal's rows (one per pupil and graded
work), the hours delivered per group and tutor (for pay), and one pupil's summary for a parents'
meeting. The programme report reads the overview (`monitoring.overview`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, func, literal, select
from sqlmodel import Session, col

from assessment.quarters import Quarters
from assessment.texts import quarter_name, work_label
from locales import DEFAULT_LANGUAGE, Text, subject_name
from locales.collation import sort_key
from models.enums import Role, SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.people import Membership, Person
from models.school import GroupMember, School, SchoolClass, TutoringGroup
from models.timetable import Attendance, Lesson, LessonChange
from monitoring.figures import Figures, Reading, measure, rollup
from monitoring.growth import diagnostics
from monitoring.periods import academic_year
from monitoring.scores import scored
from monitoring.sql import alphabetical, latest_feedback, local_day, percent, pupil_membership, unindexed
from monitoring.table import Ask, Cell, Listing, searched
from monitoring.tables import _title

# -- the e-journal ------------------------------------------------------------------------------------


def journal_listing(session: Session, ask: Ask) -> Listing:
    """One row per pupil and graded work of the period, as a class teacher copies it into Kundelik
    or BilimClass: the work's day (its deadline's), class, pupil, subject, work, kind, score and its
    maximum (a formative score out of 10, or a summative work's points), % and the 5-point mark —
    then the work's quarter (of the pupil's school calendar), and the pupil's quarter mark so far in
    that subject and quarter, with its %.

    The quarter mark is three columns on every row, not a closing row of its own: every row stays
    one work, so the sheet sorts, filters and pivots as a table (a closing row would put a weighted
    total among the works' scores and break "one row per pupil × work"), and a teacher filling the
    e-journal's quarter column filters on a subject and reads the mark beside that pupil's works of
    the quarter. A period across two quarters gives each row its own quarter's mark; a work due in
    the summer (no quarter) leaves the three empty. The marks are read before the rows, in one
    grouped query per calendar layout (`assessment.quarters.Quarters`), never per pupil."""
    begin, after = ask.moments()
    due_day = local_day(session, col(Homework.due_at), ask.zone)
    class_name = func.coalesce(col(SchoolClass.name), literal(""))
    score = func.coalesce(col(Feedback.points), col(Feedback.formative_score))
    out_of = func.coalesce(col(Feedback.max_points), col(Homework.max_points))
    statement = (
        select(
            due_day,
            class_name,
            col(Person.full_name),
            col(TutoringGroup.subject),
            col(Homework.text),
            col(Homework.kind),
            score,
            out_of,
            col(Feedback.formative_score),
            percent(Feedback),
            col(Feedback.mark),
            col(Person.id),
            col(Homework.label),
            col(Membership.school_id),
            col(Homework.group_id),
        )
        .select_from(Feedback)
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(TutoringGroup, col(TutoringGroup.id) == col(Homework.group_id))
        .join(Person, col(Person.id) == col(Submission.pupil_id))
        .join(
            Membership,
            pupil_membership(col(Person.id)),
        )
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(
            unindexed(Submission.status)
            == SubmissionStatus.GRADED.value,  # from the pupils, not every graded work
            latest_feedback(Feedback),
            ask.scope.covers(Submission.pupil_id),
            *ask.scope.in_groups(Homework.group_id),
            col(Homework.due_at) < after,
        )
    )
    if begin is not None:
        statement = statement.where(col(Homework.due_at) >= begin)
    statement = searched(session, ask, statement, col(Person.full_name), col(SchoolClass.name))
    quarters = _journal_quarters(session, ask)
    # a school's rows repeat a few subjects, kinds of work, quarters and days: each is made once
    subjects, labels, names, days = Made(subject_name), Made(work_label), Made(quarter_name), Made(_day)

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        day = days(row[0])
        maximum = row[7] if row[7] is not None else (10 if row[8] is not None else None)
        found = quarters.of(row[13], int(row[11]), int(row[14]), day)
        mark = found.mark if found is not None else None
        return (
            day,
            row[1],
            row[2],
            subjects(row[3]),
            _title(row[4]),
            labels(row[5], row[12]),  # ҚБ / БЖБ / ТЖБ / a diagnostic, as the e-journal names it
            _plain(row[6]),
            maximum,
            round(float(row[9]), 1) if row[9] is not None else None,
            row[10],
            names(found.quarter.number) if found is not None else None,
            mark.percent if mark is not None else None,
            mark.mark if mark is not None else None,
        )

    return Listing(
        "journal",
        JOURNAL_COLUMNS,
        statement.order_by(
            alphabetical(session, class_name, ask.language),
            alphabetical(session, col(Person.full_name), ask.language),
            col(Person.id),
            due_day,
            col(Homework.id),
        ),
        cells,
        lambda row: int(row[11]),
    )


JOURNAL_COLUMNS = (
    *("date", "class", "pupil", "subject", "work", "kind", "score", "out_of", "percent", "mark"),
    *("quarter", "quarter_percent", "quarter_mark"),
)


def _journal_quarters(session: Session, ask: Ask) -> Quarters:
    """The quarters the period touches in the calendars of the schools in scope, with every
    pupil-subject's mark in each (all of it: a quarter half in the period is still marked whole)."""
    start, end = ask.days()
    if start is None or end is None:  # no period: every work up to now, of this year and the two before
        end = ask.now.astimezone(ask.zone).date()
        start = date(end.year - UNBOUNDED_YEARS, 9, 1)
    schools = session.execute(
        select(col(Membership.school_id))
        .where(col(Membership.role) == Role.PUPIL.value, ask.scope.covers(Membership.person_id))
        .distinct()
    ).scalars()
    whose = [ask.scope.covers(Submission.pupil_id), *ask.scope.in_groups(Homework.group_id)]
    return Quarters(session, list(schools), whose, start, end, ask.zone)


UNBOUNDED_YEARS = 2


class Made:
    """`make`'s answers, each made once per set of arguments: a cell that recurs on thousands of
    an export's rows (a subject, a kind of work, a quarter) is one object, not one per row."""

    def __init__(self, make: Callable[..., Any]) -> None:
        self.make = make
        self.made: dict[tuple[Any, ...], Any] = {}

    def __call__(self, *key: Any) -> Any:
        found = self.made.get(key, MISSING)
        if found is MISSING:
            found = self.made[key] = self.make(*key)
        return found


MISSING = object()


def _day(value: Any) -> date:
    """A day as the database gives it: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _plain(value: Any) -> int | float | None:
    """A score as a number a journal takes: 8, not 8.0."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


# -- hours delivered ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupHours:
    school: str
    group: str
    subject: Text | str
    tutor_id: int | None
    tutor: str
    scheduled: int  # lessons of the timetable on teaching days of the period, less those cancelled
    held: int  # lessons with attendance marked
    minutes: int  # of the lessons held

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


@dataclass(frozen=True)
class TutorHours:
    tutor: str
    groups: int
    held: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


def teaching_days(start: date, end: date) -> list[tuple[date, date]]:
    """The spans of [start, end] that fall in a quarter's teaching days (holidays left out)."""
    spans = []
    for first_year in range(start.year - 1, end.year + 1):
        for begin, finish in academic_year(first_year).quarters:
            low, high = max(begin, start), min(finish, end)
            if low <= high:
                spans.append((low, high))
    return sorted(set(spans))


def _weekdays(spans: list[tuple[date, date]], weekday: int) -> int:
    count = 0
    for low, high in spans:
        first = low + timedelta(days=(weekday - low.weekday()) % 7)
        if first <= high:
            count += (high - first).days // 7 + 1
    return count


def hours(session: Session, reading: Reading) -> list[GroupHours]:
    """Per group in scope: lessons scheduled and held in the period, and the minutes held."""
    last = min(reading.period.end, reading.today)
    occasions = (
        select(col(Attendance.lesson_id).label("lesson_id"), col(Attendance.on_date).label("on_date"))
        .where(col(Attendance.on_date) >= reading.period.start, col(Attendance.on_date) <= last)
        .group_by(col(Attendance.lesson_id), col(Attendance.on_date))
        .subquery()
    )
    held = {
        group: (int(count), int(minutes or 0))
        for group, count, minutes in session.execute(
            select(col(Lesson.group_id), func.count(), func.sum(col(Lesson.minutes)))
            .join(occasions, occasions.c.lesson_id == col(Lesson.id))
            .where(col(Lesson.group_id).in_(reading.groups()))
            .group_by(col(Lesson.group_id))
        ).all()
    }
    cancelled = dict(
        session.execute(
            select(col(LessonChange.lesson_id), func.count())
            .where(
                col(LessonChange.cancelled).is_(True),
                col(LessonChange.on_date) >= reading.period.start,
                col(LessonChange.on_date) <= last,
            )
            .group_by(col(LessonChange.lesson_id))
        ).all()
    )
    spans = teaching_days(reading.period.start, last)
    scheduled: Counter[int] = Counter()
    for lesson_id, group_id, weekday in session.execute(
        select(col(Lesson.id), col(Lesson.group_id), col(Lesson.weekday)).where(
            col(Lesson.active).is_(True), col(Lesson.group_id).in_(reading.groups())
        )
    ).all():
        scheduled[group_id] += max(0, _weekdays(spans, weekday) - int(cancelled.get(lesson_id, 0)))
    rows = session.execute(
        select(
            col(TutoringGroup.id),
            func.coalesce(col(School.name), literal("")),
            col(TutoringGroup.code),
            col(TutoringGroup.subject),
            col(TutoringGroup.tutor_id),
            func.coalesce(col(Person.full_name), literal("")),
        )
        .outerjoin(School, col(School.id) == col(TutoringGroup.school_id))
        .outerjoin(Person, col(Person.id) == col(TutoringGroup.tutor_id))
        .where(col(TutoringGroup.id).in_(reading.groups()))
        .order_by(
            alphabetical(session, func.coalesce(col(School.name), literal("")), reading.language),
            alphabetical(session, col(TutoringGroup.code), reading.language),
            col(TutoringGroup.id),
        )
    ).all()
    return [
        GroupHours(
            school, code, subject_name(subject), tutor_id, tutor, scheduled[gid], *held.get(gid, (0, 0))
        )
        for gid, school, code, subject, tutor_id, tutor in rows
    ]


def tutor_hours(groups: list[GroupHours], language: str = DEFAULT_LANGUAGE) -> list[TutorHours]:
    """The hours per tutor, tutors in the alphabet of `language`."""
    found: dict[int | None, list[GroupHours]] = {}
    for group in groups:
        found.setdefault(group.tutor_id, []).append(group)
    return sorted(
        (
            TutorHours(rows[0].tutor, len(rows), sum(r.held for r in rows), sum(r.minutes for r in rows))
            for rows in found.values()
        ),
        key=lambda t: sort_key(language, t.tutor),
    )


# -- one pupil's summary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectSummary:
    group: str
    subject: Text | str
    tutor: str
    figures: Figures
    entry: float | None
    final: float | None


@dataclass
class PupilSummary:
    name: str
    class_name: str
    school: str
    total: Figures
    subjects: list[SubjectSummary] = field(default_factory=list)
    comments: list[tuple[date, Text | str, str]] = field(default_factory=list)
    series: dict[str, list[tuple[date, float]]] = field(default_factory=dict)


COMMENTS_SHOWN = 4


def pupil_summary(session: Session, reading: Reading, pupil_id: int) -> PupilSummary | None:
    """One pupil's page for a parents' meeting, over the period; None when not in the reader's scope."""
    scope = reading.scope.within_pupil(session, pupil_id)
    person = session.get(Person, pupil_id)
    if scope is None or person is None:
        return None
    one = replace(reading, scope=scope)
    place = session.execute(
        select(
            func.coalesce(col(SchoolClass.name), literal("")), func.coalesce(col(School.name), literal(""))
        )
        .select_from(Membership)
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .outerjoin(School, col(School.id) == col(Membership.school_id))
        .where(col(Membership.person_id) == pupil_id, col(Membership.role) == Role.PUPIL.value)
    ).first()
    per_group = rollup(measure(session, one).cells, lambda key: key[1])
    total = Figures()
    for figures in per_group.values():
        total.add(figures)
    diagnosed = {
        row.group_id: (row.entry, row.final)
        for row in session.execute(diagnostics(one.scope, one.after)).all()
    }
    summary = PupilSummary(person.full_name, place[0] if place else "", place[1] if place else "", total)
    for gid, code, subject, tutor in session.execute(
        select(
            col(TutoringGroup.id),
            col(TutoringGroup.code),
            col(TutoringGroup.subject),
            func.coalesce(col(Person.full_name), literal("")),
        )
        .join(GroupMember, col(GroupMember.group_id) == col(TutoringGroup.id))
        .outerjoin(Person, col(Person.id) == col(TutoringGroup.tutor_id))
        .where(col(GroupMember.pupil_id) == pupil_id, col(TutoringGroup.id).in_(one.groups()))
        .order_by(col(TutoringGroup.code))
    ).all():
        entry, final = diagnosed.get(gid, (None, None))
        summary.subjects.append(
            SubjectSummary(code, subject_name(subject), tutor, per_group.get(gid, Figures()), entry, final)
        )
    for moment, subject, text in session.execute(
        select(col(Feedback.created_at), col(TutoringGroup.subject), col(Feedback.text))
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(TutoringGroup, col(TutoringGroup.id) == col(Homework.group_id))
        .where(
            col(Submission.pupil_id) == pupil_id,
            col(Feedback.text) != "",
            col(Feedback.created_at) >= one.begin,
            col(Feedback.created_at) < one.after,
        )
        .order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
        .limit(COMMENTS_SHOWN)
    ).all():
        summary.comments.append((moment.astimezone(reading.zone).date(), subject_name(subject), text))
    for work in scored(session, [pupil_id]):
        if work.percent is not None and one.begin <= work.at < one.after:
            summary.series.setdefault(work.subject, []).append(
                (work.at.astimezone(reading.zone).date(), work.percent)
            )
    return summary
