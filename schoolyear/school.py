"""A school's calendar: the national one with the school's own entries (its roster's `calendar`
sheet, `models.calendar.CalendarEntry`) on top.

The school's days off and working days are added. Its own academic year, quarters or school
holidays, where it gives any, replace the national ones of that kind in the same academic year (a
school with a year of its own, say); public holidays are the law's and always stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from models.calendar import CalendarEntry, CalendarKind
from models.enums import Role
from models.people import Membership
from models.school import GroupMember, SchoolClass
from schoolyear.days import SchoolCalendar, Span
from schoolyear.national import national_spans

REPLACEABLE = (CalendarKind.YEAR, CalendarKind.QUARTER, CalendarKind.BREAK)


def own_spans(session: Session, school_id: int) -> list[Span]:
    rows = session.exec(
        select(CalendarEntry).where(CalendarEntry.school_id == school_id).order_by(col(CalendarEntry.starts))
    ).all()
    return [
        Span(
            kind=CalendarKind(row.kind),
            start=row.starts,
            end=row.ends,
            name=row.name or _default_name(row),
            grades=frozenset(row.grades),
        )
        for row in rows
    ]


def _default_name(row: CalendarEntry) -> str:
    """A year the school did not name is called by its years ("2026–2027")."""
    return f"{row.starts.year}–{row.ends.year}" if row.kind == CalendarKind.YEAR else ""


def combine(national: Iterable[Span], own: Iterable[Span]) -> SchoolCalendar:
    national, own = list(national), list(own)
    years = [span for span in national if span.kind == CalendarKind.YEAR]

    def year_of(day: date) -> date | None:
        return next((year.start for year in years if year.holds(day)), None)

    replaced = {(span.kind, year_of(span.start)) for span in own if span.kind in REPLACEABLE}
    kept = [
        span
        for span in national
        if span.kind not in REPLACEABLE or (span.kind, year_of(span.start)) not in replaced
    ]
    return SchoolCalendar([*kept, *own])


def calendar_for(session: Session, school_id: int | None) -> SchoolCalendar:
    """The school's calendar; a group without a school keeps the national one."""
    own = own_spans(session, school_id) if school_id is not None else []
    return combine(national_spans(), own)


class Calendars:
    """The calendars of the schools one piece of work touches (a scheduler pass, a dashboard page),
    each read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._found: dict[int | None, SchoolCalendar] = {}
        self._grades: dict[int, frozenset[int]] = {}
        # (school, day) → (some span for some grades only holds it, why it is off for every grade)
        self._days: dict[tuple[int | None, date], tuple[bool, Span | None]] = {}

    def of(self, school_id: int | None) -> SchoolCalendar:
        if school_id not in self._found:
            self._found[school_id] = calendar_for(self.session, school_id)
        return self._found[school_id]

    def day_off(self, school_id: int | None, group_id: int, day: date) -> Span | None:
        """Why a group of this school has no lessons on `day`, or None (the group's grades asked
        for only when a holiday for some grades holds that day)."""
        calendar = self.of(school_id)
        if (school_id, day) not in self._days:
            self._days[(school_id, day)] = (calendar.grade_specific_on(day), calendar.day_off(day))
        grade_specific, for_everyone = self._days[(school_id, day)]
        return calendar.day_off(day, self.grades(group_id)) if grade_specific else for_everyone

    def grades(self, group_id: int) -> frozenset[int]:
        if group_id not in self._grades:
            self._grades[group_id] = group_grades(self.session, group_id)
        return self._grades[group_id]


def group_grades(session: Session, group_id: int) -> frozenset[int]:
    """The grades of the classes a group's pupils are in: which grade-only holidays apply to it."""
    found = session.exec(
        select(SchoolClass.grade)
        .join(Membership, col(Membership.class_id) == SchoolClass.id)
        .join(GroupMember, col(GroupMember.pupil_id) == Membership.person_id)
        .where(GroupMember.group_id == group_id, Membership.role == Role.PUPIL.value)
        .distinct()
    ).all()
    return frozenset(found)


def class_grades(session: Session, class_id: int) -> frozenset[int]:
    school_class = session.get(SchoolClass, class_id)
    return frozenset({school_class.grade}) if school_class is not None else frozenset()
