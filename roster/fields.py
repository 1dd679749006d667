"""Parsing one cell: each parser returns the value or raises `BadField` with the reason to report."""

from __future__ import annotations

import re
from datetime import date, time

from locales import T, Text
from models.phones import BadPhone, checked_phone
from roster.schema import (
    CALENDAR_KIND_ALIASES,
    FALSE_WORDS,
    LANGUAGE_ALIASES,
    ROLE_ALIASES,
    SUBJECT_ALIASES,
    TRUE_WORDS,
    WEEKDAY_ALIASES,
)


class BadField(ValueError):
    def __init__(self, reason: Text) -> None:
        self.reason = reason
        super().__init__(reason.key)


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")
_SEPARATORS = re.compile(r"[,;\s]+")
_LIST = re.compile(r"[,;]")
_RANGE = re.compile(r"\s*[-–—]\s*")


def parse_time(raw: str) -> time:
    match = _TIME.match(raw.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadField(T("roster.error.bad_time", value=raw))
    return time(int(match[1]), int(match[2]))


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")  # a spreadsheet date cell too
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(raw: str) -> date:
    """2026-12-07 or 07.12.2026 (a date cell of a spreadsheet reads as the first)."""
    text = raw.strip()
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DOTTED_DATE.match(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        pass
    raise BadField(T("roster.error.bad_date", value=raw))


def parse_calendar_kind(raw: str) -> str:
    word = " ".join(raw.strip().lower().replace("_", " ").split())
    kind = CALENDAR_KIND_ALIASES.get(word) or CALENDAR_KIND_ALIASES.get(word.replace(" ", "_"))
    if kind is None:
        raise BadField(T("roster.error.bad_calendar_kind", value=raw))
    return kind


def parse_grade_list(raw: str) -> tuple[int, ...]:
    """Grades listed, "8, 9" (a calendar entry for some grades only)."""
    return tuple(sorted({parse_int(part, 1, 12) for part in parse_ids(raw)}))


def parse_int(raw: str, low: int, high: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadField(T("roster.error.bad_number", value=raw, min=low, max=high)) from None
    if not low <= value <= high:
        raise BadField(T("roster.error.bad_number", value=raw, min=low, max=high))
    return value


def parse_flag(raw: str) -> bool:
    word = raw.strip().lower()
    if not word or word in FALSE_WORDS:
        return False
    if word in TRUE_WORDS:
        return True
    raise BadField(T("roster.error.bad_flag", value=raw))


def parse_roles(raw: str) -> tuple[str, ...]:
    roles: list[str] = []
    for part in raw.split(","):
        word = " ".join(part.strip().lower().replace("_", " ").split())
        role = ROLE_ALIASES.get(word) or ROLE_ALIASES.get(word.replace(" ", "_"))
        if role is None:
            raise BadField(T("roster.error.unknown_role", value=part.strip()))
        if role not in roles:
            roles.append(role)
    return tuple(roles)


def parse_language(raw: str) -> str:
    word = raw.strip().lower()
    if not word:
        return "kk"
    language = LANGUAGE_ALIASES.get(word)
    if language is None:
        raise BadField(T("roster.error.unknown_language", value=raw))
    return language


def parse_weekday(raw: str) -> int:
    day = WEEKDAY_ALIASES.get(raw.strip().lower().rstrip("."))
    if day is None:
        raise BadField(T("roster.error.bad_weekday", value=raw))
    return day


def parse_days(raw: str) -> tuple[int, ...]:
    """School days: "Mon-Fri", "дс-сн", "1-6" or a list ("Mon, Tue, Thu"); Monday is 0."""
    days: set[int] = set()
    for part in _LIST.split(raw):
        if not part.strip():
            continue
        ends = [parse_weekday(end) for end in _RANGE.split(part.strip(), maxsplit=1)]
        if ends[-1] < ends[0]:
            raise BadField(T("roster.error.bad_days", value=raw))
        days.update(range(ends[0], ends[-1] + 1))
    return tuple(sorted(days))


def parse_grades(raw: str) -> tuple[int, int]:
    """A range of grades, "8-11" or "8–11", or one grade "9"."""
    ends = [parse_int(end, 1, 12) for end in _RANGE.split(raw.strip(), maxsplit=1)]
    if ends[-1] < ends[0]:
        raise BadField(T("roster.error.bad_grades", value=raw))
    return ends[0], ends[-1]


def parse_subjects(raw: str) -> tuple[str, ...]:
    """Subjects separated by commas or semicolons (a name may have spaces: «Қазақстан тарихы»)."""
    found: list[str] = []
    for part in _LIST.split(raw):
        subject = parse_subject(part) if part.strip() else ""
        if subject and subject not in found:
            found.append(subject)
    return tuple(found)


def parse_phone(raw: str) -> tuple[str, bool]:
    """The number in E.164, and whether WhatsApp and SMS reach it (not a landline)."""
    try:
        return checked_phone(raw)
    except BadPhone:
        raise BadField(T("roster.error.bad_phone")) from None


def parse_subject(raw: str) -> str:
    word = " ".join(raw.strip().lower().split())
    return SUBJECT_ALIASES.get(word, word.replace(" ", "_"))


def parse_link(raw: str) -> str:
    link = raw.strip()
    if link and not re.match(r"^https?://[^\s/]+\.[^\s]+$", link):
        raise BadField(T("roster.error.bad_link"))
    return link


def parse_ids(raw: str) -> tuple[str, ...]:
    seen: list[str] = []
    for part in _SEPARATORS.split(raw.strip()):
        if part and part not in seen:
            seen.append(part)
    return tuple(seen)


def class_name(raw: str) -> str:
    """ "8 а" and "8А" name the same class."""
    return raw.replace(" ", "").replace("-", "").upper()


def check_length(value: str, limit: int) -> str:
    if len(value) > limit:
        raise BadField(T("roster.error.too_long", max=limit))
    return value
