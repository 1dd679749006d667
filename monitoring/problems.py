"""Reported problems, for the dashboard: each absence a pupil or parent explained (no internet, a
broken device, illness, something else), with the lesson, and whether it was excused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE, T, subject_name
from models.school import TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring.scope import Scope, class_of, names
from monitoring.table import Table


def decision(excused: bool | None) -> str:
    """The key of an explained absence's decision: pending, yes (excused) or no."""
    return "pending" if excused is None else "yes" if excused else "no"


def problems_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    table = Table(
        "problems",
        ("date", "class", "pupil", "subject", "status", "reason", "note", "excused", "reported_by"),
    )
    rows = session.exec(
        select(Attendance, TutoringGroup)
        .where(col(Attendance.lesson_id) == col(Lesson.id), col(Lesson.group_id) == col(TutoringGroup.id))
        .where(col(Attendance.reason).is_not(None), col(Attendance.pupil_id).in_(scope.pupil_ids))
        .order_by(col(Attendance.on_date).desc(), col(Attendance.id).desc())
    ).all()
    people = names(session, {row.pupil_id for row, _ in rows})
    classes = class_of(session, scope)
    for row, group in rows:
        by = "pupil" if row.reported_by == row.pupil_id else "guardian"
        table.rows.append(
            (
                row.on_date,
                classes.get(row.pupil_id, ""),
                people.get(row.pupil_id, ""),
                subject_name(group.subject),
                T(f"web.attendance.{row.status}"),
                T(f"problems.reason.{row.reason}"),
                row.reason_note,
                T(f"problems.excused.{decision(row.excused)}"),
                T(f"problems.by_{by}"),
            )
        )
        table.pupils.append(row.pupil_id)
    return table
