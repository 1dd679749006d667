"""Reported problems, for the dashboard: each absence a pupil or parent explained (no internet, a
broken device, illness, something else), with the lesson, and whether it was excused — the newest
first, the lessons of the period chosen (a tutor's, of their groups)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, literal, select
from sqlmodel import Session, col

from locales import T, subject_name
from models.people import Membership, Person
from models.school import SchoolClass, TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring.sql import pupil_membership
from monitoring.table import Ask, Cell, Listing, in_days, searched


def decision(excused: bool | None) -> str:
    """The key of an explained absence's decision: pending, yes (excused) or no."""
    return "pending" if excused is None else "yes" if excused else "no"


def problems_listing(session: Session, ask: Ask) -> Listing:
    class_name = func.coalesce(col(SchoolClass.name), literal(""))
    statement = (
        select(
            col(Attendance.on_date),
            class_name,
            col(Person.full_name),
            col(TutoringGroup.subject),
            col(Attendance.status),
            col(Attendance.reason),
            col(Attendance.reason_note),
            col(Attendance.excused),
            col(Attendance.reported_by),
            col(Attendance.pupil_id),
        )
        .select_from(Attendance)
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .join(TutoringGroup, col(TutoringGroup.id) == col(Lesson.group_id))
        .join(Person, col(Person.id) == col(Attendance.pupil_id))
        .outerjoin(Membership, pupil_membership(col(Attendance.pupil_id)))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(
            col(Attendance.reason).is_not(None),
            col(Attendance.pupil_id).in_(ask.scope.pupils()),
            *ask.scope.in_groups(Lesson.group_id),
            *in_days(col(Attendance.on_date), ask),
        )
    )
    statement = searched(session, ask, statement, col(Person.full_name), col(SchoolClass.name))

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        by = "pupil" if row[8] == row[9] else "guardian"
        return (
            row[0],
            row[1],
            row[2],
            subject_name(row[3]),
            T(f"web.attendance.{row[4]}"),
            T(f"problems.reason.{row[5]}"),
            row[6],
            T(f"problems.excused.{decision(row[7])}"),
            T(f"problems.by_{by}"),
        )

    return Listing(
        "problems",
        ("date", "class", "pupil", "subject", "status", "reason", "note", "excused", "reported_by"),
        statement.order_by(col(Attendance.on_date).desc(), col(Attendance.id).desc()),
        cells,
        lambda row: int(row[9]),
    )
