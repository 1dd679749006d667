"""The school calendar: the academic year, its quarters and half-years, school holidays, public
holidays and each school's own days off and working days — as data (`schoolyear/years`, one file per
academic year, with sources) and as rules other parts ask: is this a working day, is there a lesson
today, where does a deadline on a Sunday move, which quarter is this date in.

    calendar = calendar_for(session, school_id)
    calendar.is_working_day(day)        # deadlines, Kazpost rounds: not Sunday, not a day off
    calendar.day_off(day, grades)       # no lessons: the holiday (a Span), or None
    calendar.shift(day)                 # a Shift to the next working day, or None
    calendar.period_of(day, "quarter")  # "year", "half", "quarter"
"""

from schoolyear.days import Period, SchoolCalendar, Shift, Span
from schoolyear.notes import moved_date, moved_note, span_name
from schoolyear.school import Calendars, calendar_for, class_grades, group_grades

__all__ = [
    "Calendars",
    "Period",
    "SchoolCalendar",
    "Shift",
    "Span",
    "calendar_for",
    "class_grades",
    "group_grades",
    "moved_date",
    "moved_note",
    "span_name",
]
