"""The rules of one school's calendar: which days are working days, which days have no lessons, the
next working day, and which quarter, half-year and academic year a date belongs to.

A `SchoolCalendar` is a list of `Span`s (national ones from `schoolyear.national`, the school's own
from its roster), and answers from them alone:

* a **day off** (no lessons): a public holiday or a day off it was moved to, a day of the school
  holidays (каникулы; one for some grades only counts when every grade asked about has it), or a day
  the school declared off (quarantine, a local holiday) — unless the school marked the day as a
  working day. An ordinary Sunday is not a day off for lessons: a group timetabled on Sunday meets.
* a **working day** (deadlines, Kazpost rounds): not a day off and not Sunday, the weekly day of rest;
  a day the school marked as working is one even on a Sunday.
* **periods**: the academic year runs from its first to its last day; each quarter from its first day
  to the day before the next quarter begins (so the holidays after a quarter belong to it), the last
  one to the year's end; the first half-year is quarters 1–2, the second 3–4. Days outside every
  year (the summer) belong to no period.

Dates the data does not cover have no holidays: only Sundays are not working days there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from models.calendar import CalendarKind

SUNDAY = 6  # date.weekday(); the schools' weekly day of rest (the six-day week)
LOOK_AHEAD_DAYS = 400  # bound on the search for a working day: longer than any calendar's run of days off
OFF_KINDS = (CalendarKind.HOLIDAY, CalendarKind.DAY_OFF, CalendarKind.BREAK)  # the order reasons are given


@dataclass(frozen=True)
class Span:
    """Consecutive days of one kind, both ends included. `name` is a catalogue key when `national`,
    else the school's own words."""

    kind: CalendarKind
    start: date
    end: date
    name: str = ""
    national: bool = False
    grades: frozenset[int] = frozenset()  # empty: every grade
    number: int = 0  # a quarter's number within its year
    moved_from: date | None = None  # a day off moved here from a holiday that fell on a Sunday
    estimate: bool = False
    source: str = ""

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def applies_to(self, grades: frozenset[int] | None) -> bool:
        """A span for some grades counts only for a question about those grades alone."""
        if not self.grades:
            return True
        return bool(grades) and grades is not None and grades <= self.grades


@dataclass(frozen=True)
class Shift:
    """A date that fell on a day that is not a working day, and the day it moved to; `reason` is the
    span that made it a day off (None: an ordinary Sunday)."""

    original: date
    moved_to: date
    reason: Span | None


@dataclass(frozen=True)
class Period:
    kind: str  # "year", "half", "quarter"
    number: int  # 1–4 for quarters, 1–2 for halves, 0 for the year
    start: date
    end: date
    year: str  # the academic year's label, e.g. "2026–2027"


class SchoolCalendar:
    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = tuple(sorted(spans, key=lambda span: (span.start, span.kind)))

    def _of(self, kind: CalendarKind) -> list[Span]:
        return [span for span in self.spans if span.kind == kind]

    def grade_specific_on(self, day: date) -> bool:
        """Whether some span for some grades only holds `day` (then the grades asked about matter)."""
        return any(span.grades and span.holds(day) for span in self.spans)

    def marked_working(self, day: date) -> bool:
        return any(span.holds(day) for span in self._of(CalendarKind.WORKING_DAY))

    def day_off(self, day: date, grades: frozenset[int] | None = None) -> Span | None:
        """Why there are no lessons on `day` (the first reason by `OFF_KINDS`), or None."""
        if self.marked_working(day):
            return None
        for kind in OFF_KINDS:
            for span in self._of(kind):
                if span.holds(day) and span.applies_to(grades):
                    return span
        return None

    def is_working_day(self, day: date, grades: frozenset[int] | None = None) -> bool:
        if self.marked_working(day):
            return True
        return day.weekday() != SUNDAY and self.day_off(day, grades) is None

    def next_working_day(self, day: date, grades: frozenset[int] | None = None) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        for offset in range(LOOK_AHEAD_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate, grades):
                return candidate
        raise ValueError(f"no working day within {LOOK_AHEAD_DAYS} days of {day}")

    def shift(self, day: date, grades: frozenset[int] | None = None) -> Shift | None:
        """None when `day` is a working day; else where a deadline or collection on it moves, and why."""
        if self.is_working_day(day, grades):
            return None
        return Shift(day, self.next_working_day(day, grades), self.day_off(day, grades))

    def days_off_around(self, day: date, grades: frozenset[int] | None = None) -> tuple[date, date]:
        """The run of consecutive days off (lessons' sense) that holds `day`, which must be one."""
        if self.day_off(day, grades) is None:
            raise ValueError(f"{day} is not a day off")
        first = last = day
        while self.day_off(first - timedelta(days=1), grades) is not None:
            first -= timedelta(days=1)
        while self.day_off(last + timedelta(days=1), grades) is not None:
            last += timedelta(days=1)
        return first, last

    # -- periods -----------------------------------------------------------------------------------

    def year_of(self, day: date) -> Period | None:
        for span in self._of(CalendarKind.YEAR):
            if span.holds(day):
                return Period("year", 0, span.start, span.end, span.name)
        return None

    def quarters(self, year: Period) -> list[Period]:
        """The year's quarters, each to the day before the next begins (the last to the year's end)."""
        starts = sorted(
            (span for span in self._of(CalendarKind.QUARTER) if year.start <= span.start <= year.end),
            key=lambda span: span.start,
        )
        found = []
        for index, span in enumerate(starts):
            end = starts[index + 1].start - timedelta(days=1) if index + 1 < len(starts) else year.end
            found.append(Period("quarter", span.number or index + 1, span.start, end, year.year))
        return found

    def quarter_of(self, day: date) -> Period | None:
        year = self.year_of(day)
        if year is None:
            return None
        return next((q for q in self.quarters(year) if q.start <= day <= q.end), None)

    def half_of(self, day: date) -> Period | None:
        """Quarters 1–2 are the first half-year, 3–4 the second."""
        year = self.year_of(day)
        quarter = self.quarter_of(day)
        if year is None or quarter is None:
            return None
        quarters = self.quarters(year)
        first_half = [q for q in quarters if q.number <= 2]
        second_half = [q for q in quarters if q.number > 2]
        half = first_half if quarter.number <= 2 else second_half
        return Period("half", 1 if quarter.number <= 2 else 2, half[0].start, half[-1].end, year.year)

    def period_of(self, day: date, kind: str) -> Period | None:
        """The period of `kind` ("year", "half", "quarter") that holds `day`."""
        return {"year": self.year_of, "half": self.half_of, "quarter": self.quarter_of}[kind](day)
