"""Validating raw rows into a `Roster`: every error of the whole file is collected, none stops early.

A row with a bad field still enters the roster (with that field defaulted) so that the rows referring
to it do not report a cascade of "unknown" errors; the import writes nothing when any error exists.
Only a row without its key (code, id) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, TypeVar

from locales import T, Text
from models.enums import Channel, Role
from models.school import SCHOOL_DAYS, Programme, School
from roster.fields import (
    BadField,
    check_length,
    class_name,
    parse_calendar_kind,
    parse_date,
    parse_days,
    parse_flag,
    parse_grade_list,
    parse_grades,
    parse_ids,
    parse_int,
    parse_language,
    parse_link,
    parse_phone,
    parse_roles,
    parse_subject,
    parse_subjects,
    parse_time,
    parse_weekday,
)
from roster.parsed import (
    At,
    CalendarRow,
    ClassRow,
    GroupRow,
    LessonRow,
    PersonRow,
    ProgrammeRow,
    Roster,
    Rules,
    SchoolRow,
)
from roster.reader import RawRoster, RawRow
from roster.report import RowError
from roster.schema import (
    CALENDAR,
    CLASSES,
    DEFAULT_PROGRAMME,
    DEFAULT_PROGRAMME_NAME,
    GROUPS,
    GUARDIANS,
    LESSONS,
    PEOPLE,
    PROGRAMMES,
    SCHOOLS,
    SHEETS,
)

V = TypeVar("V")

LIMITS: dict[tuple[str, str], int] = {
    (PROGRAMMES, "code"): 40,
    (PROGRAMMES, "name"): 200,
    (PROGRAMMES, "consent_name"): 200,
    (PROGRAMMES, "consent_name_ru"): 200,
    (PROGRAMMES, "consent_name_en"): 200,
    (SCHOOLS, "code"): 40,
    (SCHOOLS, "name"): 200,
    (SCHOOLS, "locality"): 200,
    (SCHOOLS, "postal_point"): 300,
    (CLASSES, "name"): 20,
    (PEOPLE, "id"): 60,
    (PEOPLE, "full_name"): 200,
    (PEOPLE, "postal_address"): 300,
    (GROUPS, "code"): 40,
    (GROUPS, "subject"): 40,
    (LESSONS, "link"): 500,
    (CALENDAR, "name"): 200,
}
CALENDAR_MAX_DAYS = 400  # an academic year and its summer: longer is a typing error


# The programmes sheet's whole numbers: column → (lowest, highest, the Programme field it sets).
PROGRAMME_NUMBERS: dict[str, tuple[int, int, str]] = {
    "subjects_per_pupil": (1, 12, "subjects_per_pupil"),
    "lessons_per_week": (1, 14, "lessons_per_week"),
    "lesson_minutes": (10, 600, "lesson_minutes"),
    "group_min": (1, 100, "min_group_size"),
    "group_max": (1, 100, "max_group_size"),
    "postal_interval_days": (1, 14, "postal_interval_days"),  # "at least once every two weeks"
}
# Its yes/no columns, each the Programme field of the same name.
PROGRAMME_FLAGS = ("mixed_grades", "outside_school_hours", "low_income_only")
# The quarter mark's parts: column → key of `Programme.weights`.
WEIGHT_COLUMNS = {"weight_formative": "formative", "weight_section": "section", "weight_term": "term"}
CONSENT_NAME_COLUMNS = {"kk": "consent_name", "ru": "consent_name_ru", "en": "consent_name_en"}


def rules_of(programme: Programme) -> Rules:
    return Rules(
        code=programme.code,
        min_group_size=programme.min_group_size,
        max_group_size=programme.max_group_size,
        subjects=tuple(programme.subjects),
        subjects_per_pupil=programme.subjects_per_pupil,
        lesson_minutes=programme.lesson_minutes,
        outside_school_hours=programme.outside_school_hours,
        min_grade=programme.min_grade,
        max_grade=programme.max_grade,
        lessons_per_week=programme.lessons_per_week,
        mixed_grades=programme.mixed_grades,
        low_income_only=programme.low_income_only,
    )


def _default(name: str) -> Any:
    """A Programme field's default (the Digital Tutor's rule)."""
    info = Programme.model_fields[name]
    return info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]


def default_programme() -> Programme:
    return Programme(code=DEFAULT_PROGRAMME, name=DEFAULT_PROGRAMME_NAME)


@cache
def default_rules() -> Rules:
    """The default programme's rules, before the store has its row (made once: a row per group
    or lesson asks)."""
    return rules_of(default_programme())


@dataclass
class StoreFacts:
    """What validation needs to know of the store (read in the import's own transaction)."""

    programmes: dict[str, Rules] = field(default_factory=dict)
    # (channel, address) → external id of the person holding it (None: an identity of nobody yet)
    owners: dict[tuple[str, str], str | None] = field(default_factory=dict)


def validate(raw: RawRoster, facts: StoreFacts) -> tuple[Roster, list[RowError]]:
    """The rows parsed and their references checked; the programmes' rules are `roster.rules`'."""
    checker = _Validator(raw, facts)
    checker.run()
    return checker.roster, sort_errors(checker.errors)


def programme_rules(roster: Roster, facts: StoreFacts) -> dict[str, Rules]:
    """Every programme's rules by code: the file's own, else the store's, else (for `digital-tutor`)
    the Digital Tutor's defaults."""
    found = {DEFAULT_PROGRAMME: default_rules()}
    found.update(facts.programmes)
    found.update((code, row.rules) for code, row in roster.programmes.items())
    return found


def sort_errors(errors: list[RowError]) -> list[RowError]:
    """In the file's order: by sheet (file-wide errors first), then by row."""
    order = {sheet: i for i, sheet in enumerate(SHEETS)}
    return sorted(errors, key=lambda e: (order.get(e.sheet, -1), e.row))


class _Validator:
    def __init__(self, raw: RawRoster, facts: StoreFacts) -> None:
        self.raw = raw
        self.facts = facts
        self.roster = Roster()
        self.errors: list[RowError] = list(raw.errors)
        # Rows already reported whose references should not be reported again (no cascades).
        self.unsure_roles: set[str] = set()
        self.unsure_classes: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------------

    def error(self, row: RawRow, column: str, reason: Text) -> None:
        self.errors.append(RowError(self.raw.file, row.sheet, row.row, column, reason))

    def value(
        self,
        row: RawRow,
        column: str,
        parse: Callable[[str], V],
        default: V,
        *,
        required: bool = False,
    ) -> V:
        raw = row.get(column)
        if not raw:
            if required:
                self.error(row, column, T("roster.error.missing_field", field=column))
            return default
        try:
            limit = LIMITS.get((row.sheet, column))
            if limit is not None:
                check_length(raw, limit)
            return parse(raw)
        except BadField as bad:
            self.error(row, column, bad.reason)
            return default

    def text(self, row: RawRow, column: str, *, required: bool = False) -> str:
        return self.value(row, column, str, "", required=required)

    def school_ref(self, row: RawRow, column: str = "school", *, required: bool = True) -> str | None:
        code = row.get(column)
        if not code:
            if len(self.roster.schools) == 1:
                return next(iter(self.roster.schools))
            if required:
                self.error(row, column, T("roster.error.missing_field", field=column))
            return None
        if code not in self.roster.schools:
            self.error(row, column, T("roster.error.unknown_school", code=code))
            return None
        return code

    def person_ref(self, row: RawRow, column: str, external_id: str, role: str) -> bool:
        person = self.roster.people.get(external_id)
        if person is None:
            self.error(row, column, T("roster.error.unknown_person", id=external_id))
            return False
        if role not in person.roles and external_id not in self.unsure_roles:
            self.error(row, column, T("roster.error.wrong_role", id=external_id, role=role))
            return False
        return True

    def rows(self, sheet: str) -> list[RawRow]:
        return self.raw.rows.get(sheet, [])

    # -- sheets ----------------------------------------------------------------------------------

    def run(self) -> None:
        self.programmes()
        self.schools()
        self.classes()
        self.people()
        self.class_teachers()
        self.guardians()
        self.guardian_schools()
        self.groups()
        self.lessons()
        self.calendar()

    def programmes(self) -> None:
        for row in self.rows(PROGRAMMES):
            code = self.text(row, "code", required=True)
            programme = self.programme(row, code)
            if not code:
                continue
            if code in self.roster.programmes:
                self.error(row, "code", T("roster.error.duplicate", value=code))
                continue
            self.roster.programmes[code] = programme

    def number(self, row: RawRow, column: str) -> int:
        """One of `PROGRAMME_NUMBERS`: the cell's whole number in its bounds, else the default."""
        low, high, field_name = PROGRAMME_NUMBERS[column]
        default: int = _default(field_name)
        return self.value(row, column, partial(parse_int, low=low, high=high), default)

    def programme(self, row: RawRow, code: str) -> ProgrammeRow:
        name = self.text(row, "name", required=True)
        group_min, group_max = self.number(row, "group_min"), self.number(row, "group_max")
        per_pupil = self.number(row, "subjects_per_pupil")
        flags = {flag: self.value(row, flag, parse_flag, bool(_default(flag))) for flag in PROGRAMME_FLAGS}
        no_grades: tuple[int | None, int | None] = (None, None)
        grades = self.value(row, "grades", parse_grades, no_grades)
        subjects = self.value(row, "subjects", parse_subjects, tuple[str, ...](), required=True)
        defaults: dict[str, int] = _default("weights")
        weights = {
            part: self.value(row, column, partial(parse_int, low=0, high=100), defaults[part])
            for column, part in WEIGHT_COLUMNS.items()
        }
        if group_min > group_max:
            self.error(row, "group_max", T("roster.error.group_bounds", min=group_min, max=group_max))
        if subjects and per_pupil > len(subjects):
            reason = T("roster.error.more_subjects_than_offered", count=len(subjects))
            self.error(row, "subjects_per_pupil", reason)
        if sum(weights.values()) != 100:
            self.error(row, "weight_term", T("roster.error.weights_sum", total=sum(weights.values())))
        rules = Rules(
            code=code,
            min_group_size=group_min,
            max_group_size=group_max,
            subjects=subjects,
            subjects_per_pupil=per_pupil,
            lesson_minutes=self.number(row, "lesson_minutes"),
            outside_school_hours=flags["outside_school_hours"],
            min_grade=grades[0],
            max_grade=grades[1],
            lessons_per_week=self.number(row, "lessons_per_week"),
            mixed_grades=flags["mixed_grades"],
            low_income_only=flags["low_income_only"],
        )
        names = {lang: self.text(row, column) for lang, column in CONSENT_NAME_COLUMNS.items()}
        kk = names["kk"] or name
        consent_names = {"kk": kk, "ru": names["ru"] or kk, "en": names["en"] or kk}
        interval = self.number(row, "postal_interval_days")
        return ProgrammeRow(At(row.sheet, row.row), name, rules, interval, consent_names, weights)

    def schools(self) -> None:
        for row in self.rows(SCHOOLS):
            code = self.text(row, "code", required=True)
            name = self.text(row, "name", required=True)
            start = self.value(row, "day_start", parse_time, School.model_fields["day_start"].default)
            end = self.value(row, "day_end", parse_time, School.model_fields["day_end"].default)
            if start >= end:
                self.error(row, "day_end", T("roster.error.day_order"))
            days = self.value(row, "school_days", parse_days, tuple(SCHOOL_DAYS))
            if not code:
                continue
            if code in self.roster.schools:
                self.error(row, "code", T("roster.error.duplicate", value=code))
                continue
            self.roster.schools[code] = SchoolRow(
                At(row.sheet, row.row),
                code,
                name,
                self.text(row, "locality"),
                self.text(row, "postal_point"),
                start,
                end,
                days,
            )

    def classes(self) -> None:
        for row in self.rows(CLASSES):
            school = self.school_ref(row)
            name = self.value(row, "name", class_name, "", required=True)
            grade = self.value(row, "grade", lambda raw: parse_int(raw, 1, 12), 0, required=True)
            teacher = row.get("class_teacher") or None
            if school is None and name:
                self.unsure_classes.add(name)
            if school is None or not name:
                continue
            if (school, name) in self.roster.classes:
                self.error(row, "name", T("roster.error.duplicate", value=name))
                continue
            self.roster.classes[(school, name)] = ClassRow(
                At(row.sheet, row.row), school, name, grade, teacher
            )

    def people(self) -> None:
        phones: dict[str, str] = {}
        addresses: dict[str, str] = {}
        in_file = {row.get("id") for row in self.rows(PEOPLE)}
        for row in self.rows(PEOPLE):
            external_id = self.text(row, "id", required=True)
            full_name = self.text(row, "full_name", required=True)
            roles: tuple[str, ...] = self.value(row, "role", parse_roles, (), required=True)
            if not roles:
                self.unsure_roles.add(external_id)
            is_guardian_only = bool(roles) and set(roles) <= {Role.GUARDIAN}
            school = self.school_ref(row, required=not is_guardian_only)
            klass: str | None = None
            if Role.PUPIL in roles:
                klass = self.value(row, "class", class_name, "", required=True) or None
                known = (school, klass) in self.roster.classes or klass in self.unsure_classes
                if klass and school and not known:
                    self.error(row, "class", T("roster.error.unknown_class", name=klass, school=school))
            phone, mobile = self.value(row, "phone", parse_phone, ("", False))
            locale = self.value(row, "language", parse_language, "kk")
            low_income = self.value(row, "low_income", parse_flag, False)
            by_post = self.value(row, "by_post", parse_flag, False)
            address = self.text(row, "postal_address", required=by_post)
            if not external_id:
                continue
            if external_id in self.roster.people:
                self.error(row, "id", T("roster.error.duplicate", value=external_id))
                continue
            if phone:
                self.unique_address(row, "phone", phone, external_id, phones, in_file)
            if by_post and address:
                self.unique_address(row, "postal_address", address, external_id, addresses, in_file)
            self.roster.people[external_id] = PersonRow(
                At(row.sheet, row.row),
                external_id,
                full_name,
                roles,
                school,
                klass,
                phone or None,
                locale,
                low_income,
                by_post,
                address if by_post else "",
                mobile,
            )

    def unique_address(
        self,
        row: RawRow,
        column: str,
        address: str,
        external_id: str,
        seen: dict[str, str],
        in_file: set[str],
    ) -> None:
        """A phone or postal address belongs to one person (the store keeps one identity per address)."""
        other = seen.setdefault(address, external_id)
        if other == external_id:
            channels = (Channel.POST,) if column == "postal_address" else (Channel.WHATSAPP, Channel.SMS)
            for channel in channels:
                owner = self.facts.owners.get((channel, address))
                if owner is not None and owner != external_id and owner not in in_file:
                    other = owner
                    break
        if other != external_id:
            key = "roster.error.address_taken" if column == "postal_address" else "roster.error.phone_taken"
            self.error(row, column, T(key, id=other))

    def class_teachers(self) -> None:
        rows = {r.row: r for r in self.rows(CLASSES)}
        for klass in self.roster.classes.values():
            if klass.class_teacher is not None:
                self.person_ref(rows[klass.at.row], "class_teacher", klass.class_teacher, Role.CLASS_TEACHER)

    def guardians(self) -> None:
        for row in self.rows(GUARDIANS):
            guardian = self.text(row, "guardian", required=True)
            pupil = self.text(row, "pupil", required=True)
            ok = bool(guardian) and self.person_ref(row, "guardian", guardian, Role.GUARDIAN)
            ok = (bool(pupil) and self.person_ref(row, "pupil", pupil, Role.PUPIL)) and ok
            if ok:
                self.roster.guardianships.setdefault((guardian, pupil), At(row.sheet, row.row))

    def guardian_schools(self) -> None:
        schools = self.roster.guardian_schools()
        for person in self.roster.people.values():
            lost = person.school is None and not schools.get(person.external_id)
            if lost and Role.GUARDIAN in person.roles:
                row = RawRow(person.at.sheet, person.at.row, {})
                self.error(row, "school", T("roster.error.missing_field", field="school"))

    def rules(self, code: str) -> Rules | None:
        file_row = self.roster.programmes.get(code)
        if file_row is not None:
            return file_row.rules
        rules = self.facts.programmes.get(code)
        if rules is None and code == DEFAULT_PROGRAMME:
            rules = default_rules()
        return rules

    def groups(self) -> None:
        for row in self.rows(GROUPS):
            code = self.text(row, "code", required=True)
            programme = row.get("programme") or DEFAULT_PROGRAMME
            if self.rules(programme) is None:
                self.error(row, "programme", T("roster.error.unknown_programme", code=programme))
            subject = self.value(row, "subject", parse_subject, "", required=True)
            tutor = self.text(row, "tutor", required=True)
            if tutor:
                self.person_ref(row, "tutor", tutor, Role.TUTOR)
            assistant = row.get("assistant") or None
            if assistant:
                self.person_ref(row, "assistant", assistant, Role.ASSISTANT)
            pupils: tuple[str, ...] = self.value(row, "pupils", parse_ids, (), required=True)
            for pupil in pupils:
                self.person_ref(row, "pupils", pupil, Role.PUPIL)
            school = self.group_school(row, pupils)
            if not code:
                continue
            if code in self.roster.groups:
                self.error(row, "code", T("roster.error.duplicate", value=code))
                continue
            self.roster.groups[code] = GroupRow(
                At(row.sheet, row.row), code, programme, subject, school, tutor, assistant, pupils
            )

    def group_school(self, row: RawRow, pupils: tuple[str, ...]) -> str | None:
        if row.get("school") or len(self.roster.schools) == 1:
            return self.school_ref(row, required=False)
        schools = {p.school for p in (self.roster.people.get(i) for i in pupils) if p and p.school}
        return schools.pop() if len(schools) == 1 else None

    def lessons(self) -> None:
        for row in self.rows(LESSONS):
            code = self.text(row, "group", required=True)
            group = self.roster.groups.get(code) if code else None
            if code and group is None:
                self.error(row, "group", T("roster.error.unknown_group", code=code))
            rules = self.rules(group.programme) if group else None
            weekday = self.value(row, "weekday", parse_weekday, -1, required=True)
            start = self.value(row, "start", parse_time, None, required=True)
            least = rules.lesson_minutes if rules else 1
            minutes = self.value(row, "minutes", lambda raw: parse_int(raw, 1, 600), least)
            link = self.value(row, "link", parse_link, "")
            if group is None or start is None or weekday < 0:
                continue
            key = (code, weekday, start)
            if key in self.roster.lessons:
                self.error(row, "start", T("roster.error.duplicate", value=f"{code} {start:%H:%M}"))
                continue
            self.roster.lessons[key] = LessonRow(At(row.sheet, row.row), code, weekday, start, minutes, link)

    def calendar(self) -> None:
        """The schools' own calendar entries: days off, working days, their year, quarters, holidays."""
        self.roster.calendar_given = CALENDAR in self.raw.rows
        for row in self.rows(CALENDAR):
            school = self.school_ref(row)
            kind = self.value(row, "kind", parse_calendar_kind, "", required=True)
            start = self.value(row, "start", parse_date, None, required=True)
            end = self.value(row, "end", parse_date, start) if start is not None else None
            grades: tuple[int, ...] = self.value(row, "grades", parse_grade_list, ())
            if start is not None and end is not None and not 0 <= (end - start).days < CALENDAR_MAX_DAYS:
                self.error(row, "end", T("roster.error.calendar_span", days=CALENDAR_MAX_DAYS))
                continue
            if school is None or not kind or start is None or end is None:
                continue
            key = (school, kind, start)
            if key in self.roster.calendar:
                self.error(row, "start", T("roster.error.duplicate", value=f"{kind} {start:%d.%m.%Y}"))
                continue
            name = self.text(row, "name")
            self.roster.calendar[key] = CalendarRow(
                At(row.sheet, row.row), school, kind, start, end, name, grades
            )
