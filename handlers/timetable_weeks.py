"""The timetable's fortnights: /timetable shows the two weeks ahead, and a family pages on, two weeks
at a time, to the end of the academic year; the last fortnight is cut at the year's end, and the
family hears when the year ends rather than being offered more (there is no timetable past it).

The year is the school calendar's academic year that holds today, the latest end among the pupil's
groups' schools. Outside any academic year (the summer) the two weeks ahead are all there is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from handlers.context import Turn
from models.clock import to_local, to_utc
from models.people import Person
from models.school import TutoringGroup
from models.timetable import Lesson
from record.work import groups_of
from schoolyear import Calendars

TIMETABLE_DAYS = 14


@dataclass(frozen=True)
class Fortnight:
    """The `number`th two weeks from today (0: from now on), as local days and as the UTC range
    [start, end) lessons are looked up in."""

    number: int
    first: date
    last: date
    start: datetime
    end: datetime
    year_end: date | None
    timetabled: bool  # the groups have lessons in the timetable: there is something to page to

    @property
    def final(self) -> bool:
        """No fortnight follows: the academic year ends within this one, or no year is known."""
        return self.year_end is None or self.last >= self.year_end


def pupil_groups(session: Session, pupil: Person) -> list[TutoringGroup]:
    """The groups the pupil learns in, by id."""
    ids = groups_of(session, [pupil.id or 0]).get(pupil.id or 0, [])
    return [group for group_id in sorted(ids) if (group := session.get(TutoringGroup, group_id))]


def year_end(session: Session, groups: Sequence[TutoringGroup], today: date) -> date | None:
    """The end of the academic year that holds `today`, the latest among the groups' schools."""
    calendars = Calendars(session)
    ends = [year.end for g in groups if (year := calendars.of(g.school_id).year_of(today)) is not None]
    return max(ends, default=None)


def fortnight(turn: Turn, groups: Sequence[TutoringGroup], number: int) -> Fortnight:
    """The `number`th fortnight, cut at the academic year's end (a number past it: the last one)."""
    zone = turn.config.time_zone
    today = to_local(turn.now, zone).date()
    end_of_year = year_end(turn.session, groups, today)
    most = (end_of_year - today).days // TIMETABLE_DAYS if end_of_year is not None else 0
    number = max(0, min(number, most))
    first = today + timedelta(days=number * TIMETABLE_DAYS)
    last = first + timedelta(days=TIMETABLE_DAYS - 1)
    if end_of_year is not None:
        last = min(last, max(end_of_year, first))
    start = turn.now if number == 0 else to_utc(datetime.combine(first, time(0)), zone)
    end = to_utc(datetime.combine(last + timedelta(days=1), time(0)), zone)
    return Fortnight(number, first, last, start, end, end_of_year, timetabled(turn.session, groups))


def timetabled(session: Session, groups: Sequence[TutoringGroup]) -> bool:
    """Whether any of the groups has a lesson in the weekly timetable."""
    ids = [group.id or 0 for group in groups]
    found = session.exec(
        select(Lesson.id).where(col(Lesson.group_id).in_(ids), col(Lesson.active).is_(True)).limit(1)
    ).first()
    return found is not None
