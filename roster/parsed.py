"""The roster after validation: typed rows, keyed by the file's own ids (codes, external ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time


@dataclass(frozen=True)
class At:
    """Where a row came from, for errors found later (e.g. by the store's own rules)."""

    sheet: str
    row: int


@dataclass(frozen=True)
class SchoolRow:
    at: At
    code: str
    name: str
    locality: str
    postal_point: str
    day_start: time
    day_end: time
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # school days, Monday 0


@dataclass(frozen=True)
class ClassRow:
    at: At
    school: str
    name: str
    grade: int
    class_teacher: str | None


@dataclass(frozen=True)
class PersonRow:
    at: At
    external_id: str
    full_name: str
    roles: tuple[str, ...]
    school: str | None
    class_name: str | None
    phone: str | None
    locale: str
    low_income: bool
    by_post: bool
    postal_address: str
    mobile: bool = False  # the phone takes WhatsApp and SMS (models.phones.takes_messages)


@dataclass(frozen=True)
class GroupRow:
    at: At
    code: str
    programme: str
    subject: str
    school: str | None
    tutor: str
    assistant: str | None
    pupils: tuple[str, ...]


@dataclass(frozen=True)
class LessonRow:
    at: At
    group: str
    weekday: int
    start: time
    minutes: int
    link: str


@dataclass(frozen=True)
class CalendarRow:
    at: At
    school: str
    kind: str
    start: date
    end: date
    name: str
    grades: tuple[int, ...]


@dataclass(frozen=True)
class Rules:
    """A programme's rules as the importer checks them (from the file's programmes sheet, the
    Programme row, or the Digital Tutor's defaults); `roster.rules` holds the checks."""

    code: str
    min_group_size: int
    max_group_size: int
    subjects: tuple[str, ...]
    subjects_per_pupil: int
    lesson_minutes: int
    outside_school_hours: bool
    min_grade: int | None = None
    max_grade: int | None = None
    lessons_per_week: int = 2
    mixed_grades: bool = False
    low_income_only: bool = False


@dataclass(frozen=True)
class ProgrammeRow:
    """A programme the file defines: its rules and what else the store keeps of it."""

    at: At
    name: str
    rules: Rules
    postal_interval_days: int
    consent_names: dict[str, str]
    weights: dict[str, int]


@dataclass
class Roster:
    programmes: dict[str, ProgrammeRow] = field(default_factory=dict)
    schools: dict[str, SchoolRow] = field(default_factory=dict)
    classes: dict[tuple[str, str], ClassRow] = field(default_factory=dict)
    people: dict[str, PersonRow] = field(default_factory=dict)
    guardianships: dict[tuple[str, str], At] = field(default_factory=dict)  # (guardian, pupil)
    groups: dict[str, GroupRow] = field(default_factory=dict)
    lessons: dict[tuple[str, int, time], LessonRow] = field(default_factory=dict)
    calendar: dict[tuple[str, str, date], CalendarRow] = field(default_factory=dict)  # (school, kind, start)
    calendar_given: bool = False  # the optional sheet was in the file: it is the schools' whole calendar

    def guardian_schools(self) -> dict[str, set[str]]:
        """Guardian's external id → the codes of their pupils' schools, in one pass over the links."""
        schools: dict[str, set[str]] = {}
        for guardian, pupil in self.guardianships:
            person = self.people.get(pupil)
            if person is not None and person.school:
                schools.setdefault(guardian, set()).add(person.school)
        return schools
