"""Cancelling a range of dates (a quarantine week, a school event) for one group or for every group
of a school, from the command line (`ustaz lesson cancel --to`) or the dashboard.

Every occurrence in the range becomes a cancelled `LessonChange` sharing one `batch` and the
coordinator's reason; the scheduler withdraws their reminders and tells each group's families and
staff once, with every date (`scheduler.jobs`). An occurrence already moved or cancelled on its own
joins the batch (the later decision wins, as with one date).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from locales import T, Text
from models.clock import utcnow
from models.school import TutoringGroup
from models.timetable import Lesson, LessonChange
from scheduler.coordinator import Refused

MAX_DAYS = 120  # one decision (a range cancelled, a substitution) covers at most a term's worth of days
MAX_REASON = 200


def cancel_range(
    session: Session,
    groups: Sequence[TutoringGroup],
    first: date,
    last: date,
    *,
    today: date,
    reason: str = "",
    by: int | None = None,
    now: datetime | None = None,
) -> Text:
    """Cancel every lesson of `groups` from `first` to `last` (both included); the confirmation, or
    `Refused` with the reason in the coordinator's words."""
    check_range(first, last, today, first)
    reason = " ".join(reason.split())[:MAX_REASON]
    batch = f"r{uuid.uuid4().hex[:16]}"
    moment = now or utcnow()
    cancelled, touched = 0, set()
    for group in groups:
        count = _cancel_group(session, group, first, last, batch, reason, by, moment)
        cancelled += count
        if count:
            touched.add(group.id)
    if not cancelled:
        raise Refused(T("calendar.range.nothing", first=_shown(first), last=_shown(last)))
    return T(
        "calendar.range.cancelled",
        count=cancelled,
        groups=len(touched),
        first=_shown(first),
        last=_shown(last),
    )


def check_range(first: date, last: date, today: date, not_before: date) -> None:
    """A range of dates a coordinator may decide on: in order, `not_before` not past, at most
    `MAX_DAYS` long; else `Refused`, saying which."""
    if last < first:
        raise Refused(T("calendar.range.order"))
    if not_before < today:
        raise Refused(T("calendar.range.past"))
    if (last - first).days + 1 > MAX_DAYS:
        raise Refused(T("calendar.range.too_long", days=MAX_DAYS))


def _shown(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _cancel_group(
    session: Session,
    group: TutoringGroup,
    first: date,
    last: date,
    batch: str,
    reason: str,
    by: int | None,
    moment: datetime,
) -> int:
    lessons = session.exec(
        select(Lesson).where(Lesson.group_id == group.id, col(Lesson.active).is_(True))
    ).all()
    existing = {
        (change.lesson_id, change.on_date): change
        for change in session.exec(
            select(LessonChange).where(
                col(LessonChange.lesson_id).in_([lesson.id for lesson in lessons]),
                col(LessonChange.on_date) >= first,
                col(LessonChange.on_date) <= last,
            )
        ).all()
    }
    count = 0
    day = first
    while day <= last:
        for lesson in lessons:
            if lesson.weekday != day.weekday() or lesson.id is None:
                continue
            change = existing.get((lesson.id, day)) or LessonChange(lesson_id=lesson.id, on_date=day)
            previous = change.changed_at if change.id is not None else None
            change.cancelled, change.moved_to = True, None
            change.batch, change.reason, change.changed_by = batch, reason, by
            # A new version even within the same second as an earlier change (see `change_lesson`).
            change.changed_at = max(moment, previous + timedelta(seconds=1)) if previous else moment
            session.add(change)
            count += 1
        day += timedelta(days=1)
    return count
