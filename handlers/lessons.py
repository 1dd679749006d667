"""Lesson occurrences of a group as the handlers see them: the weekly timetable with its one-off
changes applied (a cancelled occurrence is gone, a moved one starts at its new time).

An occurrence is named by its lesson and its timetabled date (`on_date`), as attendance rows are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.clock import to_local, to_utc
from models.timetable import Attendance, Lesson, LessonChange

LOOK_BACK = timedelta(days=7)


@dataclass(frozen=True)
class Occurrence:
    lesson: Lesson
    on_date: date
    start: datetime  # aware UTC

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.lesson.minutes)


def _change(session: Session, lesson_id: int, on_date: date) -> LessonChange | None:
    return session.exec(
        select(LessonChange).where(LessonChange.lesson_id == lesson_id, LessonChange.on_date == on_date)
    ).first()


def occurrence(session: Session, lesson: Lesson, on_date: date, zone: ZoneInfo) -> Occurrence | None:
    """The occurrence of `lesson` timetabled on `on_date`, or None (wrong weekday, cancelled)."""
    if lesson.id is None or not lesson.active or on_date.weekday() != lesson.weekday:
        return None
    change = _change(session, lesson.id, on_date)
    if change is not None and change.cancelled:
        return None
    if change is not None and change.moved_to is not None:
        return Occurrence(lesson, on_date, change.moved_to)
    return Occurrence(lesson, on_date, to_utc(datetime.combine(on_date, lesson.start_time), zone))


def recent(
    session: Session, group_id: int, now: datetime, zone: ZoneInfo, look_back: timedelta = LOOK_BACK
) -> list[Occurrence]:
    """The group's occurrences that have started within `look_back` before `now`, newest first."""
    lessons = session.exec(
        select(Lesson).where(Lesson.group_id == group_id, col(Lesson.active).is_(True))
    ).all()
    today = to_local(now, zone).date()
    found: list[Occurrence] = []
    for lesson in lessons:
        day = to_local(now - look_back, zone).date()
        while day <= today:
            occ = occurrence(session, lesson, day, zone)
            if occ is not None and now - look_back <= occ.start <= now:
                found.append(occ)
            day += timedelta(days=1)
    return sorted(found, key=lambda occ: occ.start, reverse=True)


def last(session: Session, group_id: int, now: datetime, zone: ZoneInfo) -> Occurrence | None:
    occurrences = recent(session, group_id, now, zone)
    return occurrences[0] if occurrences else None


def attendance_row(session: Session, occ: Occurrence, pupil_id: int) -> Attendance | None:
    """The pupil's attendance row for this occurrence, if one is written (marked, or explained ahead)."""
    return session.exec(
        select(Attendance).where(
            Attendance.lesson_id == occ.lesson.id,
            Attendance.on_date == occ.on_date,
            Attendance.pupil_id == pupil_id,
        )
    ).first()
