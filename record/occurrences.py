"""The lessons ahead as families see them: the weekly timetable with its one-off changes applied —
a cancelled occurrence stays in the list, marked, so nobody waits for it; a moved one shows at its
new time, with the time it had; a changed link replaces the timetable's — for many groups at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from models.clock import to_local, to_utc
from models.school import TutoringGroup
from models.timetable import Lesson, LessonChange


@dataclass(frozen=True)
class Slot:
    group_id: int
    subject: str
    lesson_id: int
    on_date: date  # the date the timetable gives it
    start: datetime  # aware UTC: when it begins (a moved one: its new time)
    link: str
    cancelled: bool = False
    moved_from: datetime | None = None  # the timetabled start of a moved occurrence


def between(
    session: Session, group_ids: Collection[int], start: datetime, end: datetime, zone: ZoneInfo
) -> list[Slot]:
    """The groups' occurrences beginning in [start, end), cancelled ones included, by start."""
    if not group_ids or end <= start:
        return []
    rows = session.exec(
        select(Lesson, TutoringGroup)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(col(Lesson.group_id).in_(sorted(group_ids)), col(Lesson.active).is_(True))
    ).all()
    if not rows:
        return []
    first = to_local(start, zone).date() - timedelta(days=1)
    last = to_local(end, zone).date() + timedelta(days=1)
    changes = session.exec(
        select(LessonChange).where(
            col(LessonChange.lesson_id).in_([lesson.id for lesson, _ in rows]),
            or_(
                col(LessonChange.on_date).between(first, last),
                col(LessonChange.moved_to).between(start, end),
            ),
        )
    ).all()
    by_day = {(change.lesson_id, change.on_date): change for change in changes}
    moved: dict[int, list[LessonChange]] = {}
    for change in changes:
        if change.moved_to is not None and not change.cancelled:
            moved.setdefault(change.lesson_id, []).append(change)
    slots: list[Slot] = []
    for lesson, group in rows:
        lesson_id, group_id = lesson.id or 0, group.id or 0
        day = first
        while day <= last:
            if day.weekday() == lesson.weekday:
                begins = to_utc(datetime.combine(day, lesson.start_time), zone)
                on_day = by_day.get((lesson_id, day))
                if start <= begins < end and (on_day is None or on_day.moved_to is None or on_day.cancelled):
                    link = (on_day.link if on_day is not None else None) or lesson.link
                    cancelled = on_day is not None and on_day.cancelled
                    slots.append(Slot(group_id, group.subject, lesson_id, day, begins, link, cancelled))
            day += timedelta(days=1)
        for change in moved.get(lesson_id, []):
            moved_to = change.moved_to
            if moved_to is not None and start <= moved_to < end:
                timetabled = to_utc(datetime.combine(change.on_date, lesson.start_time), zone)
                link = change.link or lesson.link
                slots.append(
                    Slot(
                        group_id, group.subject, lesson_id, change.on_date, moved_to, link, False, timetabled
                    )
                )
    return sorted(slots, key=lambda slot: (slot.start, slot.subject, slot.lesson_id))
