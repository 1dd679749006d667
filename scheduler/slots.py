"""The weekly timetable as dated lesson slots: which lessons are timetabled to start in a span of
time (read a window at a time, so a region's timetable is never read whole), with the coordinator's
change of each, if any. The scheduler's reminders, prompts and day-off notices all start from here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import Session, col, select

from models.clock import to_utc
from models.school import TutoringGroup
from models.timetable import Lesson, LessonChange


def local_time(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def lesson_start(lesson: Lesson, on_date: date, zone: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(on_date, lesson.start_time), zone)


def starting_between(start: datetime, end: datetime, zone: ZoneInfo) -> ColumnElement[bool]:
    """Weekly slots whose (weekday, local start time) falls in [start, end): a large timetable is
    read a window at a time."""
    local_start, local_end = local_time(start, zone), local_time(end, zone)
    slots: list[ColumnElement[bool]] = []
    day = local_start.date()
    while day <= local_end.date():
        begins = max(local_start, datetime.combine(day, time(0), zone))
        part = [col(Lesson.weekday) == day.weekday(), col(Lesson.start_time) >= begins.time()]
        if local_end.date() == day:
            part.append(col(Lesson.start_time) < local_end.time())
        slots.append(and_(*part))
        day += timedelta(days=1)
    return or_(*slots) if slots else false()


@dataclass(frozen=True)
class Slot:
    """A weekly lesson's timetabled occurrence, before changes and the calendar are applied."""

    lesson: Lesson
    group: TutoringGroup
    on_date: date
    start: datetime
    change: LessonChange | None

    @property
    def changed(self) -> bool:
        """Cancelled or moved by the coordinator: no longer here."""
        return self.change is not None and (self.change.cancelled or self.change.moved_to is not None)


def timetabled(
    session: Session,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    only: ColumnElement[bool] | None = None,
) -> Iterable[Slot]:
    """Weekly occurrences timetabled to start in [start, end), each with its change if it has one;
    `only` narrows the lessons read (to some schools' groups, say)."""
    rows = session.exec(
        select(Lesson, TutoringGroup)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(
            col(Lesson.active).is_(True),
            starting_between(start, end, zone),
            only if only is not None else true(),
        )
    ).all()
    first, last = (
        local_time(start, zone).date() - timedelta(days=1),
        local_time(end, zone).date() + timedelta(days=1),
    )
    changes = {
        (c.lesson_id, c.on_date): c
        for c in session.exec(
            select(LessonChange).where(col(LessonChange.on_date) >= first, col(LessonChange.on_date) <= last)
        ).all()
    }
    for lesson, group in rows:
        day = first
        while day <= last:
            begins = lesson_start(lesson, day, zone)
            if day.weekday() == lesson.weekday and start <= begins < end:
                yield Slot(lesson, group, day, begins, changes.get((lesson.id or 0, day)))
            day += timedelta(days=1)


def group_starts(session: Session, group_id: int, first: date, last: date, zone: ZoneInfo) -> list[datetime]:
    """When a group's weekly lessons between two days (both included) would start, those the
    coordinator changed left out."""
    lessons = session.exec(
        select(Lesson).where(Lesson.group_id == group_id, col(Lesson.active).is_(True))
    ).all()
    changed = {
        (change.lesson_id, change.on_date)
        for change in session.exec(
            select(LessonChange).where(
                col(LessonChange.lesson_id).in_([lesson.id for lesson in lessons]),
                col(LessonChange.on_date) >= first,
                col(LessonChange.on_date) <= last,
                or_(col(LessonChange.cancelled).is_(True), col(LessonChange.moved_to).is_not(None)),
            )
        ).all()
    }
    starts = []
    day = first
    while day <= last:
        starts += [
            lesson_start(lesson, day, zone)
            for lesson in lessons
            if lesson.weekday == day.weekday() and (lesson.id, day) not in changed
        ]
        day += timedelta(days=1)
    return sorted(starts)
