"""How the calendar speaks in messages: a date moved off a Sunday or a holiday («…жексенбіге түсті,
сондықтан дүйсенбіге ауыстырылды»), and the name of a day off, in the reader's language."""

from __future__ import annotations

from locales import T, Text
from schoolyear.days import Shift, Span


def span_name(span: Span) -> Text | str:
    """A national span's name is a catalogue key; a school's own is its words as written."""
    if not span.national:
        return span.name
    if span.moved_from is not None:
        return T("calendar.name.transferred", holiday=T(span.name))
    return T(span.name)


def weekday_to(day_number: int) -> Text:
    """The weekday a date moves to, in the form the note needs (kk dative, ru accusative)."""
    return T(f"calendar.weekday.to.{day_number}")


def moved_note(shift: Shift) -> Text:
    """Why a date moved and to which weekday."""
    common: dict[str, object] = {
        "date": shift.original.strftime("%d.%m"),
        "weekday": weekday_to(shift.moved_to.weekday()),
    }
    if shift.reason is None:
        return T("calendar.moved.sunday", **common)
    return T("calendar.moved.day_off", name=span_name(shift.reason), **common)


def moved_date(shown: str, shift: Shift | None) -> Text | str:
    """A date as a message shows it, followed by the note when it was moved."""
    if shift is None:
        return shown
    return T("calendar.date_moved", date=shown, note=moved_note(shift))
