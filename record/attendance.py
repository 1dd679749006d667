"""A pupil's attendance as marked by the tutor, for many pupils at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from models.school import TutoringGroup
from models.timetable import Attendance, Lesson
from record.work import chunks


@dataclass(frozen=True)
class Mark:
    pupil_id: int
    subject: str
    on_date: date  # the occurrence's timetabled date
    start_time: time  # its timetabled local time
    status: str  # `models.enums.AttendanceStatus`
    marked_at: datetime
    reason: str | None = None  # what the family reported (`models.enums.Problem`), if they did
    excused: bool | None = None  # the tutor's or assistant's decision on it (None: not yet)


def marks(session: Session, pupil_ids: Collection[int], first: date, last: date) -> list[Mark]:
    """Marks of occurrences timetabled from `first` to `last` (inclusive), newest first."""
    found: list[Mark] = []
    for part in chunks(pupil_ids):
        rows = session.exec(
            select(Attendance, col(Lesson.start_time), col(TutoringGroup.subject))
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
            .where(col(Attendance.pupil_id).in_(part), col(Attendance.on_date).between(first, last))
        ).all()
        found += [
            Mark(
                row.pupil_id,
                subject,
                row.on_date,
                start_time,
                row.status,
                row.marked_at,
                row.reason,
                row.excused,
            )
            for row, start_time, subject in rows
        ]
    return sorted(found, key=lambda mark: (mark.on_date, mark.start_time, mark.subject), reverse=True)
