"""Numbers and dates as the reader's language writes them (Babel's CLDR data), for exports that a
Kazakh or Russian Excel opens as numbers and dates: «87,5» and «09.03.2026», not «87.5» and
«2026-03-09».

Dates take the language's short pattern with the year in full (Kazakh's short pattern has a two-digit
year); numbers have the language's decimal sign and no group separator (a space inside a number is
read as text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from babel.dates import format_date, get_date_format
from babel.numbers import format_decimal

from locales import language_of

_YEAR = re.compile(r"y+")
# An export writes the same few dozen days and scores thousands of times, and Babel's formatting
# costs tens of microseconds a call: each (value, language) is formatted once.
REMEMBERED = 4096


@cache
def date_pattern(language: str) -> str:
    """The language's short date pattern with a four-digit year (kk, ru: dd.MM.y; en: M/d/y)."""
    return _YEAR.sub("y", get_date_format("short", locale=language).pattern)


@lru_cache(maxsize=REMEMBERED, typed=True)
def format_day(value: date, language: str) -> str:
    return format_date(value, date_pattern(language), locale=language)


@lru_cache(maxsize=REMEMBERED, typed=True)
def format_number(value: float | int, language: str) -> str:
    if isinstance(value, int):
        return str(value)
    return format_decimal(value, locale=language, group_separator=False)


@dataclass(frozen=True)
class Number:
    """A number inside a message, written as its reader's language writes it when the message is
    rendered (late, like the message): «77,5» in Kazakh and Russian, «77.5» in English; none is «—»."""

    value: float | int | None

    def render(self, locale: str, channel: str = "") -> str:
        return "—" if self.value is None else format_number(self.value, language_of(locale))


@cache
def excel_date_format(language: str) -> str:
    """The same date pattern as an Excel number format (dd.mm.yyyy), for spreadsheet cells."""
    pattern = _YEAR.sub("yyyy", date_pattern(language))
    return re.sub(r"M+", lambda m: m.group(0).lower(), pattern)
