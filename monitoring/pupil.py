"""A pupil's monitoring page: their attendance, their work, and by subject their knowledge growth as
the programme measures it (final − entry diagnostic, `assessment.growth`) beside the chart of every
graded work."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from assessment.growth import pupil_growth
from locales import T, subject_name
from models.enums import Role
from models.homework import Homework, Submission
from models.people import Membership, Person
from models.school import SchoolClass, TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring.problems import decision
from monitoring.scope import Scope
from monitoring.scores import scored
from monitoring.table import Table, local_day
from monitoring.tables import COUNTED


@dataclass(frozen=True)
class Point:
    on: date
    percent: float


@dataclass
class PupilView:
    pupil_id: int
    name: str
    class_name: str
    attendance: Table
    submissions: Table
    growth: Table
    series: dict[str, list[Point]] = field(default_factory=dict)


def pupil_view(session: Session, scope: Scope, pupil_id: int, zone: ZoneInfo) -> PupilView | None:
    """One pupil's monitoring page, or None when the pupil is not in scope."""
    if not scope.sees_pupil(session, pupil_id):
        return None
    person = session.get(Person, pupil_id)
    if person is None:
        return None
    attendance = Table("pupil_attendance", ("date", "subject", "status", "reason", "excused"))
    for row, group in session.exec(
        select(Attendance, TutoringGroup)
        .where(col(Attendance.lesson_id) == col(Lesson.id))
        .where(col(Lesson.group_id) == col(TutoringGroup.id))
        .where(Attendance.pupil_id == pupil_id)
        .order_by(col(Attendance.on_date))
    ).all():
        reason = T(f"problems.reason.{row.reason}") if row.reason else None
        excused = None if row.reason is None else T(f"problems.excused.{decision(row.excused)}")
        attendance.rows.append(
            (row.on_date, subject_name(group.subject), T(f"web.attendance.{row.status}"), reason, excused)
        )
    submissions = Table("pupil_submissions", ("date", "subject", "homework", "late", "status"))
    for submission, homework, group in session.exec(
        select(Submission, Homework, TutoringGroup)
        .where(col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id) == col(TutoringGroup.id))
        .where(Submission.pupil_id == pupil_id, col(Submission.status).in_(COUNTED))
        .order_by(col(Submission.submitted_at))
    ).all():
        submissions.rows.append(
            (
                local_day(submission.submitted_at, zone),
                subject_name(group.subject),
                homework.title,
                T("web.yes") if submission.late else T("web.no"),
                T(f"web.submission.{submission.status}"),
            )
        )
    series: dict[str, list[Point]] = defaultdict(list)
    for work in scored(session, [pupil_id]):
        if work.percent is not None:
            series[work.subject].append(Point(work.at.astimezone(zone).date(), work.percent))
    growth = Table("pupil_growth", ("subject", "entry", "final", "growth"))
    diagnosed = {row.subject: row for row in pupil_growth(session, [pupil_id])}
    for subject in sorted(set(series) | set(diagnosed)):
        tested = diagnosed.get(subject)
        if tested is None:
            growth.rows.append((subject_name(subject), None, None, None))
        else:
            growth.rows.append((subject_name(subject), tested.entry, tested.final, tested.growth))
    return PupilView(
        pupil_id=pupil_id,
        name=person.full_name,
        class_name=class_name(session, pupil_id),
        attendance=attendance,
        submissions=submissions,
        growth=growth,
        series=dict(series),
    )


def class_name(session: Session, pupil_id: int) -> str:
    found = session.exec(
        select(SchoolClass.name)
        .join(Membership, col(Membership.class_id) == col(SchoolClass.id))
        .where(Membership.person_id == pupil_id, Membership.role == Role.PUPIL.value)
    ).first()
    return found or ""
