"""Dates and times typed by staff, read in the school's time zone: a homework deadline, the moment a
scheduled announcement goes, the day a paper application was signed; and the months and days'
numbers families write when they ask about a day («15 желтоқсанда?», "on the 15th?").

Each function returns naive local time (or a day) or None when the text is not understood; whether
it may lie in the past is the caller's rule, answered with the caller's own message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta


def nearest_year(month: int, day: int, today: date) -> int:
    """The year that puts day.month nearest to today: "05.01" typed on 28 December is next January,
    "28.12" typed on 5 January last December, "01.12" typed on 3 December this year's (two days ago)."""
    best = today.year
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            if abs((date(year, month, day) - today).days) < abs((date(best, month, day) - today).days):
                best = year
        except ValueError:
            continue  # 29 February of a year without it
    return best


def parse_day(text: str, today: date) -> date | None:
    """A day typed as "03.12", "03.12.2026", "2026-12-03", or a word (бүгін, кеше, вчера, yesterday …)."""
    typed = " ".join(text.casefold().split())
    try:
        if found := _ISO_DAY.fullmatch(typed):
            return date(int(found["y"]), int(found["mo"]), int(found["d"]))
        if found := _DOTTED_DAY.fullmatch(typed):
            month, day = int(found["mo"]), int(found["d"])
            year = int(found["y"]) if found["y"] else nearest_year(month, day, today)
            return date(year, month, day)
    except ValueError:
        return None
    if typed in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[typed])
    return None


_DAY_WORDS = {
    "кеше": -1,
    "вчера": -1,
    "yesterday": -1,
    "бүгін": 0,
    "сегодня": 0,
    "today": 0,
    "ертең": 1,
    "ертен": 1,
    "завтра": 1,
    "tomorrow": 1,
    "бүрсігүні": 2,
    "послезавтра": 2,
}
_TIME = r"(?:\s+(?:в\s+|at\s+|сағат\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2}))?"
_DOTTED = re.compile(r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})(?:\.(?P<y>\d{4}))?" + _TIME)
_ISO = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})" + _TIME.replace(r"\s+", r"[\sT]+", 1))
_DOTTED_DAY = re.compile(r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})(?:\.(?P<y>\d{4}))?")
_ISO_DAY = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})")
_WORD = re.compile(r"(?P<w>[^\W\d_]+)" + _TIME)


def parse_due(text: str, local_now: datetime) -> datetime | None:
    """A due moment typed by a tutor, as naive local (school time zone) time; None if not understood.

    "25.11 18:00", "25.11.2026 18:00", "2026-11-25 18:00", "ертең 18:00" / "завтра 18:00" /
    "tomorrow 18:00". Without a time, the end of that day (23:59). A day and month without a year is
    the nearest such day (`nearest_year`): "01.12" typed on 3 December is two days ago, and the caller
    refuses it as past, rather than taking it for next year's.
    """
    typed = " ".join(text.casefold().split())
    try:
        if found := _ISO.fullmatch(typed):
            day = datetime(int(found["y"]), int(found["mo"]), int(found["d"]))
        elif found := _DOTTED.fullmatch(typed):
            year = (
                int(found["y"])
                if found["y"]
                else nearest_year(int(found["mo"]), int(found["d"]), local_now.date())
            )
            day = datetime(year, int(found["mo"]), int(found["d"]))
        elif (found := _WORD.fullmatch(typed)) and found["w"] in _DAY_WORDS:
            day = datetime.combine(local_now.date(), datetime.min.time()) + timedelta(
                days=_DAY_WORDS[found["w"]]
            )
        else:
            return None
        if found["h"] is None:
            return day.replace(hour=23, minute=59)
        return day.replace(hour=int(found["h"]), minute=int(found["mi"]))
    except ValueError:
        return None


# The months as families write them beside a day's number: the beginnings of their words, which
# take the endings of the cases («15 желтоқсанда», «желтоқсанның 15-і», «15 декабря», "December
# 15th"), typed with or without Kazakh letters. May, short in every language, is listed whole.
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("қаңтар", "кантар", "қантар", "январ", "january", "jan"),
    2: ("ақпан", "акпан", "феврал", "february", "feb"),
    3: ("наурыз", "науруз", "март", "march", "mar"),
    4: ("сәуір", "сауир", "сәуир", "апрел", "april", "apr"),
    5: ("мамыр",),
    6: ("маусым", "июн", "june", "jun"),
    7: ("шілде", "шилде", "июл", "july", "jul"),
    8: ("тамыз", "август", "august", "aug"),
    9: ("қыркүйек", "кыркуйек", "сентябр", "september", "sept", "sep"),
    10: ("қазан", "казан", "октябр", "october", "oct"),
    11: ("қараша", "караша", "ноябр", "november", "nov"),
    12: ("желтоқсан", "желтоксан", "декабр", "december", "dec"),
}
MAY_WORDS = frozenset({"май", "мая", "мае", "may"})
MONTH_ENDING = 4  # letters a month's word may have after its beginning: «желтоқсанның»
PAST_DAYS = 7  # a day and month this recent is the one just gone («3 декабря» asked on the 5th)


def month_of(word: str) -> int | None:
    """The month a word names (any case of it), or None."""
    if word in MAY_WORDS:
        return 5
    for month, beginnings in MONTHS.items():
        if any(word.startswith(b) and len(word) - len(b) <= MONTH_ENDING for b in beginnings):
            return month
    return None


def coming_day(number: int, month: int | None, today: date) -> date | None:
    """The day a family means by a day's number and, perhaps, a month, or None when there is no
    such day ("30 February", "the 31st" with no month of 31 days in the two ahead).

    With a month: the coming such day, or the one just gone when it is at most `PAST_DAYS` back.
    Without: this month's when it is still ahead (today included), else next month's."""
    if month is not None:
        for year in (today.year, today.year + 1):
            try:
                day = date(year, month, number)
            except ValueError:
                return None
            if day >= today - timedelta(days=PAST_DAYS):
                return day
        return None
    first = today.replace(day=1)
    for ahead in (0, 1):
        year, month_index = divmod(first.month - 1 + ahead, 12)
        try:
            day = date(first.year + year, month_index + 1, number)
        except ValueError:
            continue
        if day >= today:
            return day
    return None
