"""Dates and times typed by staff, read in the school's time zone: a homework deadline, the moment a
scheduled announcement goes, the day a paper application was signed.

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
