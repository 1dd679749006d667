"""Lessons that a day off cancels, told to the families once: the school calendar's days off
(`schoolyear`) and the ranges of dates a coordinator cancels together.

* a run of days off (a holiday, the school holidays, a quarantine; consecutive days count as one
  run) is told to each group whose lessons it cancels once, when the first of them is
  `lead` away, with every cancelled date and why (`lesson-off:{group_id}:{first}:{last}:{person}:`;
  a run that grows is told again). Like the reminders, only the lessons whose moment falls in the
  scheduler's window are read, and most minutes of the year no school has a day off then, so none
  is; a school's own day off may be entered later than `lead` (a quarantine from tomorrow), so the
  lessons of such a school within `lead` are read every time, and its families hear at once.
* a range cancelled together (one `LessonChange.batch`) is told once per group with every date
  still ahead and the coordinator's reason (`lesson-range:{batch}:{group_id}:{person}:`).

The families are the group's pupils and their parents (the consent gate applies), the staff its
acting tutor (a substitute, that day) and its assistant.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from locales import T, Text, subject_name
from models.calendar import CalendarEntry, CalendarKind
from models.people import Guardianship
from models.school import TutoringGroup
from models.store import stored_id
from models.substitutes import active_between, covering
from models.timetable import Lesson, LessonChange
from scheduler.offers import Offer, group_pupils, group_staff, offer_all, told
from scheduler.slots import group_starts, lesson_start, local_time, timetabled
from schoolyear import Calendars, Span, span_name


def days_off(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    lead: timedelta,
    zone: ZoneInfo,
    calendars: Calendars,
) -> int:
    """Tell each group once about each run of days off that cancels its lessons (see above)."""
    reads = [
        (
            window_start + lead,
            window_end + lead,
            _schools_off(session, window_start + lead, window_end + lead, zone, calendars),
        ),
        (now, now + lead, _own_days_off(session, now, now + lead, zone)),
    ]
    runs: dict[tuple[int, date, date], tuple[TutoringGroup, Span]] = {}
    for start, end, schools in reads:
        if not schools:
            continue
        for slot in timetabled(session, start, end, zone, _of_schools(schools)):
            if slot.changed or slot.start <= now:
                continue
            group_id = stored_id(slot.group)
            reason = calendars.day_off(slot.group.school_id, group_id, slot.on_date)
            if reason is None:
                continue
            grades = calendars.grades(group_id) if reason.grades else None
            run = calendars.of(slot.group.school_id).days_off_around(slot.on_date, grades)
            runs.setdefault((group_id, *run), (slot.group, reason))
    written = 0
    for (group_id, first_day, last_day), (group, reason) in runs.items():
        key = f"lesson-off:{group_id}:{first_day.isoformat()}:{last_day.isoformat()}:"
        if told(session, key):
            continue
        starts = [s for s in group_starts(session, group_id, first_day, last_day, zone) if s > now]
        if starts:
            written += tell(session, group, starts, span_name(reason), key, now, zone)
    return written


def tell_range(session: Session, batch: str, group: TutoringGroup, now: datetime, zone: ZoneInfo) -> int:
    """One message per person for a range of a group's lessons cancelled together: every date still
    ahead, and the coordinator's reason."""
    key = f"lesson-range:{batch}:{group.id}:"
    if told(session, key):
        return 0
    rows = session.exec(
        select(LessonChange, Lesson)
        .join(Lesson, col(Lesson.id) == LessonChange.lesson_id)
        .where(
            LessonChange.batch == batch, Lesson.group_id == group.id, col(LessonChange.cancelled).is_(True)
        )
    ).all()
    starts = sorted(
        start for change, lesson in rows if (start := lesson_start(lesson, change.on_date, zone)) > now
    )
    if not starts:
        return 0
    reason = next((change.reason for change, _ in rows if change.reason), "")
    why: Text | str = reason or T("calendar.name.cancelled")
    return tell(session, group, starts, why, key, now, zone)


def tell(
    session: Session,
    group: TutoringGroup,
    starts: list[datetime],
    why: Text | str,
    key_prefix: str,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """Tell a group's families (pupils and their parents) and staff that its lessons on these dates
    do not take place, and why; one message each, under `key_prefix`."""
    dates = ", ".join(dict.fromkeys(local_time(start, zone).strftime("%d.%m") for start in starts))
    subject = subject_name(group.subject)
    family = T("calendar.lessons_off", subject=subject, dates=dates, name=why)
    staff = T("calendar.lessons_off_staff", group=group.code, subject=subject, dates=dates, name=why)
    first_day, group_id = local_time(starts[0], zone).date(), stored_id(group)
    substitute = covering(
        active_between(session, first_day, first_day, [group_id]).get(group_id, []), first_day
    )
    offers: list[Offer] = []
    for pupil in group_pupils(session, group_id):
        pupil_id = stored_id(pupil)
        offers.append(
            Offer(pupil_id, "lesson.days_off", family, f"{key_prefix}{pupil_id}:", now, urgent=False)
        )
        for guardian_id in session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil_id)
        ).all():
            key = f"{key_prefix}{guardian_id}:"
            offers.append(Offer(guardian_id, "lesson.days_off", family, key, now, False, pupil_id))
    for staff_id in group_staff(group, substitute):
        offers.append(
            Offer(staff_id, "lesson.days_off.staff", staff, f"{key_prefix}{staff_id}:", now, urgent=False)
        )
    return offer_all(session, offers)


def _of_schools(schools: set[int | None]) -> ColumnElement[bool]:
    """Groups of these schools (None: groups of no school)."""
    known = col(TutoringGroup.school_id).in_([school for school in schools if school is not None])
    return or_(known, col(TutoringGroup.school_id).is_(None)) if None in schools else known


def _own_days_off(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> set[int | None]:
    """The schools with a day off of their own (or their own holidays) between two moments."""
    first, last = local_time(start, zone).date(), local_time(end, zone).date()
    found = session.exec(
        select(CalendarEntry.school_id).where(
            col(CalendarEntry.kind).in_([CalendarKind.DAY_OFF.value, CalendarKind.BREAK.value]),
            CalendarEntry.starts <= last,
            CalendarEntry.ends >= first,
        )
    ).all()
    return set(found)


def _schools_off(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, calendars: Calendars
) -> set[int | None]:
    """The schools (None: groups of no school, on the national calendar) with a day off, for some
    grades or all, between two moments."""
    first, last = local_time(start, zone).date(), local_time(end, zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    found: set[int | None] = set()
    for school_id in session.exec(select(TutoringGroup.school_id).distinct()).all():
        calendar = calendars.of(school_id)
        if any(calendar.day_off(day) is not None or calendar.grade_specific_on(day) for day in days):
            found.add(school_id)
    return found
