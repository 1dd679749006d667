"""Periods every figure can be read over: a quarter, a half-year, the school year, or two dates.

Schools in Kazakhstan work in quarters (тоқсан / четверть): the ministry fixes each year's quarters
and holidays by order. Until the school calendar is kept in the store, the year is read from
`DEFAULT_YEARS` (the 2025–2026 order, and the 2026–2027 year laid out the same way: four quarters
of 8, 8, 10 and 8 weeks with the holidays between); a year not listed follows the 2026–2027 dates.
`academic_year` is the one place that says what a year holds, so reading a school's own calendar
later changes this function only.

A quarter as a filter runs from its first day to the day before the next quarter begins, so the
holidays after it belong to it and every day of the year falls in exactly one quarter (the last
quarter runs to 31 August). Its label still shows the teaching days.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from locales import T, Text

QUARTER = "quarter"
HALF = "half"
YEAR = "year"
DATES = "dates"
KINDS = (QUARTER, HALF, YEAR, DATES)
LONGEST_RANGE = timedelta(days=3 * 366)  # two dates further apart than this are refused


@dataclass(frozen=True)
class AcademicYear:
    """A school year: the first and last teaching day of each quarter, in order."""

    first_year: int  # 2026 for 2026–2027
    quarters: tuple[tuple[date, date], ...]

    @property
    def start(self) -> date:
        return date(self.first_year, 9, 1)

    @property
    def end(self) -> date:
        return date(self.first_year + 1, 8, 31)


def _year(first: int, bounds: tuple[tuple[int, int, int, int], ...]) -> AcademicYear:
    """Quarters as (month, day, month, day) of their first and last teaching days."""
    quarters = []
    for start_month, start_day, end_month, end_day in bounds:
        start = date(first if start_month >= 9 else first + 1, start_month, start_day)
        end = date(first if end_month >= 9 else first + 1, end_month, end_day)
        quarters.append((start, end))
    return AcademicYear(first, tuple(quarters))


# The ministry's dates. 2025–2026: teaching from 2 September; holidays 27 Oct–2 Nov, 29 Dec–7 Jan,
# 19–29 March; the year ends on 25 May. 2026–2027 is laid out the same way.
DEFAULT_YEARS: Mapping[int, AcademicYear] = {
    2025: _year(2025, ((9, 2, 10, 26), (11, 3, 12, 28), (1, 8, 3, 18), (3, 30, 5, 25))),
    2026: _year(2026, ((9, 1, 10, 25), (11, 2, 12, 27), (1, 8, 3, 18), (3, 30, 5, 25))),
}
PATTERN_YEAR = 2026


def academic_year(first_year: int) -> AcademicYear:
    """The school year that begins in September of `first_year`."""
    known = DEFAULT_YEARS.get(first_year)
    if known is not None:
        return known
    pattern = DEFAULT_YEARS[PATTERN_YEAR]
    shift = first_year - PATTERN_YEAR
    quarters = tuple(
        (start.replace(year=start.year + shift), end.replace(year=end.year + shift))
        for start, end in pattern.quarters
    )
    return AcademicYear(first_year, quarters)


def first_year_of(day: date) -> int:
    """The school year a day belongs to: September to August."""
    return day.year if day.month >= 9 else day.year - 1


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included, in the school's time zone."""

    kind: str
    start: date
    end: date
    first_year: int = 0
    number: int = 0  # quarter 1–4 or half 1–2
    teaching_end: date | None = None  # a quarter's or half's last teaching day

    @property
    def label(self) -> Text:
        shown_end = self.teaching_end or self.end
        span = f"{self.start:%d.%m.%Y}–{shown_end:%d.%m.%Y}"
        years = f"{self.first_year}–{self.first_year + 1}"
        if self.kind == QUARTER:
            return T("overview.period.quarter_label", number=self.number, years=years, span=span)
        if self.kind == HALF:
            return T("overview.period.half_label", number=self.number, years=years, span=span)
        if self.kind == YEAR:
            return T("overview.period.year_label", years=years, span=span)
        return T("overview.period.dates_label", span=span)

    @property
    def query(self) -> dict[str, str]:
        """The period as the page's query string names it."""
        if self.kind == DATES:
            return {"period": DATES, "from": self.start.isoformat(), "to": self.end.isoformat()}
        value = {QUARTER: f"q{self.number}", HALF: f"h{self.number}", YEAR: "year"}[self.kind]
        return {"period": value, "year": str(self.first_year)}

    def moments(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware UTC: midnight of the first day to midnight after the last."""
        begin = datetime.combine(self.start, time(0), zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(0), zone).astimezone(UTC)
        return begin, after

    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        found = []
        while monday <= self.end:
            found.append(monday)
            monday += timedelta(days=7)
        return found

    def until(self, today: date) -> Period:
        """The part of the period up to `today` (a period that has not begun yet stays whole)."""
        if self.start <= today < self.end:
            return Period(self.kind, self.start, today, self.first_year, self.number, self.teaching_end)
        return self


def quarter(first_year: int, number: int) -> Period:
    year = academic_year(first_year)
    start, teaching_end = year.quarters[number - 1]
    end = year.quarters[number][0] - timedelta(days=1) if number < len(year.quarters) else year.end
    return Period(QUARTER, start, end, first_year, number, teaching_end)


def half(first_year: int, number: int) -> Period:
    first, second = quarter(first_year, 2 * number - 1), quarter(first_year, 2 * number)
    return Period(HALF, first.start, second.end, first_year, number, second.teaching_end)


def whole_year(first_year: int) -> Period:
    year = academic_year(first_year)
    return Period(YEAR, year.quarters[0][0], year.end, first_year, 0, year.quarters[-1][1])


def dates(start: date, end: date) -> Period:
    return Period(DATES, start, end, first_year_of(start))


def current_quarter(today: date) -> Period:
    """The quarter `today` falls in (its holidays included)."""
    first_year = first_year_of(today)
    year = academic_year(first_year)
    if today < year.quarters[0][0]:  # the first days of September before teaching starts
        return quarter(first_year, 1)
    number = max(n for n, (start, _end) in enumerate(year.quarters, start=1) if start <= today)
    return quarter(first_year, number)


def choices(first_year: int) -> list[Period]:
    """What the period menu offers for one school year, in order."""
    return [
        *(quarter(first_year, n) for n in range(1, 5)),
        half(first_year, 1),
        half(first_year, 2),
        whole_year(first_year),
    ]


class BadPeriod(ValueError):
    """The query names no period we know (a typo, dates the wrong way round, too long)."""


# The menu's values: q1…q4, h1, h2, year.
_NAMED = {
    **{f"q{n}": (QUARTER, n) for n in range(1, 5)},
    "h1": (HALF, 1),
    "h2": (HALF, 2),
    "year": (YEAR, 0),
}


_TYPED = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})")


class BadDate(ValueError):
    """A date typed otherwise than dd.mm.yyyy (or a day that does not exist, 31.02.2026)."""


def typed_date(text: str) -> date:
    """A date as the dashboard's day fields take it, dd.mm.yyyy in every language (the browser's own
    date field would follow its locale, mm/dd/yyyy in an English Chromium, not the page's
    language), or as the page's links and the remembered period write it, yyyy-mm-dd. The one
    reader of every typed day: the period, the paper application's day of signing, the plan's
    first and last days. Anything else: `BadDate`, for the page to say how to write it."""
    typed = text.strip()
    try:
        if found := _TYPED.fullmatch(typed):
            return date(int(found["y"]), int(found["m"]), int(found["d"]))
        return date.fromisoformat(typed)
    except ValueError as error:
        raise BadDate(typed) from error


def from_query(query: Mapping[str, str], today: date) -> Period:
    """The period a page's query names; the current quarter when it names none. Bad values raise
    `BadPeriod`, so the page can say so instead of showing figures for something else."""
    name = query.get("period", "").strip()
    if not name:
        return current_quarter(today)
    if name == DATES:
        try:
            start, end = typed_date(query.get("from", "")), typed_date(query.get("to", ""))
        except BadDate as error:
            raise BadPeriod(name) from error
        if end < start or end - start > LONGEST_RANGE:
            raise BadPeriod(name)
        return dates(start, end)
    if name not in _NAMED:
        raise BadPeriod(name)
    raw_year = query.get("year", "").strip()
    if raw_year and not (raw_year.isdigit() and 2000 <= int(raw_year) <= 2100):
        raise BadPeriod(raw_year)
    first_year = int(raw_year) if raw_year else first_year_of(today)
    kind, number = _NAMED[name]
    if kind == QUARTER:
        return quarter(first_year, number)
    if kind == HALF:
        return half(first_year, number)
    return whole_year(first_year)
