"""A school's own calendar entries: what its roster's `calendar` sheet adds to (or replaces in) the
national calendar — quarantine and local days off, days it marks as working days, and its own year,
quarters and holidays where they differ. The national calendar itself is data shipped with the
product (`schoolyear/years`); the rules that combine the two live in `schoolyear`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel


class CalendarKind(StrEnum):
    YEAR = "year"  # the academic year
    QUARTER = "quarter"  # a term (тоқсан / четверть), numbered within its year
    BREAK = "break"  # school holidays (каникулы), for every grade or for some
    HOLIDAY = "holiday"  # a public holiday, or a day off it was moved to
    DAY_OFF = "day_off"  # the school's own: quarantine, a local holiday
    WORKING_DAY = "working_day"  # the school works that day, whatever else the calendar says


class CalendarEntry(SQLModel, table=True):
    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("school_id", "kind", "starts"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    kind: str = Field(max_length=20)
    starts: date
    ends: date
    name: str = Field(default="", max_length=200)  # the school's own words, shown as written
    grades: list[int] = Field(default_factory=list, sa_type=JSON)  # empty: every grade
