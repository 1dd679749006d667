"""Which quarter a quarter mark is of: the quarter of the pupil's school calendar (`schoolyear`) that
holds the day — its holidays after it included, the summer in none.

Only a year's and its quarters' dates decide a quarter, so a school that gave none of its own (most)
reads the national calendar, shared, and only the schools whose roster gave their own year or
quarters read theirs: a district's pupils are placed in a quarter with two queries, not one a school.
`marks_so_far` gives each pupil's marks of the quarter they are in now (what /grades, the weekly
digest and the paper packs show); `Quarters` the quarters a dashboard period touches, school by
school, and each pupil-subject's mark in each (the e-journal export's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from assessment.quarter import QuarterMark, Span, marks_by_span
from models.calendar import CalendarEntry, CalendarKind
from models.clock import to_local, to_utc
from models.enums import Role
from models.homework import Submission
from models.people import Membership
from record.work import chunks
from schoolyear.days import Period, SchoolCalendar
from schoolyear.national import national_spans
from schoolyear.school import calendar_for

QUARTER_KINDS = (CalendarKind.YEAR.value, CalendarKind.QUARTER.value)


class QuarterCalendars:
    """The quarters of some schools' calendars, each school's read once; the national one shared by
    every school without a year or quarters of its own."""

    def __init__(self, session: Session, school_ids: Iterable[int | None]) -> None:
        wanted = {school for school in school_ids if school is not None}
        own = set()
        for part in chunks(wanted):
            own |= set(
                session.exec(
                    select(CalendarEntry.school_id)
                    .where(col(CalendarEntry.school_id).in_(part), col(CalendarEntry.kind).in_(QUARTER_KINDS))
                    .distinct()
                ).all()
            )
        self.national = SchoolCalendar(national_spans())
        self.own = {school: calendar_for(session, school) for school in own}
        self._days: dict[tuple[int | None, date], Period | None] = {}

    def of(self, school_id: int | None) -> SchoolCalendar:
        return self.own.get(school_id, self.national) if school_id is not None else self.national

    def quarter_of(self, school_id: int | None, day: date) -> Period | None:
        """The quarter holding `day` in the school's calendar (None: the summer)."""
        key = (school_id if school_id in self.own else None, day)
        if key not in self._days:
            self._days[key] = self.of(school_id).quarter_of(day)
        return self._days[key]

    def quarters_between(self, school_id: int | None, start: date, end: date) -> tuple[Period, ...]:
        """The school's quarters that share a day with [start, end], in order."""
        calendar = self.of(school_id)
        found: dict[Period, None] = {}
        for first_year in range(start.year - 1, end.year + 1):
            year = calendar.year_of(date(first_year, 10, 1)) or calendar.year_of(date(first_year + 1, 3, 1))
            for quarter in calendar.quarters(year) if year is not None else []:
                if quarter.start <= end and start <= quarter.end:
                    found[quarter] = None
        return tuple(sorted(found, key=lambda q: q.start))


def span_of(quarter: Period, zone: ZoneInfo) -> Span:
    """A quarter as due moments [its first day's midnight, the midnight after its last day)."""
    since = to_utc(datetime.combine(quarter.start, time()), zone)
    return since, to_utc(datetime.combine(quarter.end + timedelta(days=1), time()), zone)


def schools_of(session: Session, pupil_ids: Iterable[int]) -> dict[int, int | None]:
    """Each pupil's school (their membership as a pupil)."""
    found: dict[int, int | None] = {}
    for part in chunks(pupil_ids):
        found.update(
            session.exec(
                select(Membership.person_id, Membership.school_id).where(
                    col(Membership.person_id).in_(part), Membership.role == Role.PUPIL.value
                )
            ).all()
        )
    return found


def marks_so_far(
    session: Session, pupil_ids: Iterable[int], now: datetime, zone: ZoneInfo
) -> dict[int, list[QuarterMark]]:
    """Each pupil's quarter marks so far: the graded work due in the quarter of their school's
    calendar that holds today, by their programme's weights; a pupil in no quarter (the summer) or
    with no work marked yet has none."""
    schools = schools_of(session, pupil_ids)
    today = to_local(now, zone).date()
    calendars = QuarterCalendars(session, schools.values())
    by_quarter: dict[Period, list[int]] = defaultdict(list)
    for pupil, school in schools.items():
        quarter = calendars.quarter_of(school, today)
        if quarter is not None:
            by_quarter[quarter].append(pupil)
    found: dict[int, list[QuarterMark]] = defaultdict(list)
    for quarter, pupils in by_quarter.items():
        for part in chunks(pupils):
            whose = [col(Submission.pupil_id).in_(part)]
            for mark in marks_by_span(session, whose, [span_of(quarter, zone)]).values():
                if mark.mark is not None:
                    found[mark.pupil_id].append(mark)
    return dict(found)


@dataclass(frozen=True)
class QuarterOf:
    """A work's quarter and its pupil-subject's mark in it (None: nothing marked there yet)."""

    quarter: Period
    mark: QuarterMark | None


class Quarters:
    """The quarters a period touches in the calendars of the schools in scope, and every
    pupil-subject's mark in each: one grouped query per calendar layout (all schools on the national
    calendar share one). `of` places a work by its pupil's school and its due day."""

    def __init__(
        self,
        session: Session,
        school_ids: Iterable[int | None],
        whose: Sequence[ColumnElement[bool]],
        start: date,
        end: date,
        zone: ZoneInfo,
    ) -> None:
        schools = set(school_ids)
        self.calendars = QuarterCalendars(session, schools)
        layouts: dict[tuple[Period, ...], list[int | None]] = defaultdict(list)
        for school in schools:
            layouts[self.calendars.quarters_between(school, start, end)].append(school)
        self.marks: dict[tuple[int, int, Period], QuarterMark] = {}
        for quarters, members in layouts.items():
            if not quarters:
                continue
            narrowed = list(whose)
            if len(layouts) > 1:
                narrowed.append(col(Membership.school_id).in_([s for s in members if s is not None]))
            spans = [span_of(quarter, zone) for quarter in quarters]
            for (pupil, group, index), mark in marks_by_span(session, narrowed, spans).items():
                self.marks[(pupil, group, quarters[index])] = mark

    def of(self, school_id: int | None, pupil_id: int, group_id: int, day: date) -> QuarterOf | None:
        quarter = self.calendars.quarter_of(school_id, day)
        if quarter is None:
            return None
        return QuarterOf(quarter, self.marks.get((pupil_id, group_id, quarter)))
