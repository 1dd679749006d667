"""The programmes' rules over a parsed roster: one function per rule, listed in `RULES`.

A rule reads the roster through `Facts` (indexes built once: each pupil's grade and groups, each
group's lessons) and yields a `Finding` per row that breaks it — its sheet, row and column, and the
reason as a `Text` the report renders in the reader's language. A rule marked as a warning lets the
file import (the finding is a note of the report); any other refuses it. Every rule is one pass over
the rows it looks at, with dict lookups, so a district's roster costs time in proportion to its size.

The rules and their sources (the programme documents, `docs/programme.md`; the Digital Tutor's values
are the defaults, another programme brings its own on the programmes sheet):

=====================  ============================================================================
subject                a group's subject is one of its programme's ("6 пәннен таңдалған 2 пән")
group_size             a group holds min–max pupils (Digital Tutor 3–5, a virtual class up to 15)
grades                 a pupil is in the programme's grades (Digital Tutor 8–11)
one_group_per_subject  a pupil is in one group per subject
subjects_per_pupil     a pupil takes at most the programme's number of subjects (Digital Tutor 2)
one_grade              a group is drawn from classes of one grade ("сәйкес сыныптардың"), unless
                       the programme allows mixing
lessons_per_week       a group has the programme's number of lessons a week (Digital Tutor 2)
no_timetable           (warning) a group with no lessons yet
lesson_length          a lesson lasts at least the programme's minutes (Digital Tutor 60)
school_hours           a lesson is outside school hours ("тек сабақтан тыс уақытта") on a school
                       day of the schools of the group and its pupils; any time on a day off
tutor_clash            a tutor teaches one lesson at a time
pupil_clash            a pupil is in one lesson at a time
low_income             (warning) a programme for low-income families: how many of a group's pupils
                       are not marked low-income (a count, never names)
=====================  ============================================================================
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import time

from locales import N, T, Text
from roster.parsed import At, GroupRow, LessonRow, Roster, Rules, SchoolRow
from roster.report import RowError
from roster.schema import LESSONS, PEOPLE, PROGRAMMES, SHEETS


@dataclass(frozen=True)
class Finding:
    at: At
    column: str
    reason: Text


class Facts:
    """The roster and its programmes' rules, with the indexes every rule looks things up in."""

    def __init__(self, roster: Roster, rules: dict[str, Rules], unread: frozenset[str] = frozenset()) -> None:
        self.roster = roster
        self.rules = rules
        # Sheets with a row validation could not read ("": a row of no known sheet): what a rule
        # counts there may be short by that row, so a counting rule waits for the row to be fixed.
        self.unread = unread
        # A programme row with a bad cell holds a default in its place: its groups wait for the fix.
        self.unsure = set(roster.programmes) if PROGRAMMES in unread else set()
        self.class_of: dict[str, tuple[str, int]] = {}  # pupil → (class name, grade)
        for person in roster.people.values():
            klass = roster.classes.get((person.school or "", person.class_name or ""))
            if klass is not None and klass.grade > 0:  # 0: a bad grade, reported already
                self.class_of[person.external_id] = (klass.name, klass.grade)
        self.lessons: dict[str, list[LessonRow]] = defaultdict(list)
        for lesson in roster.lessons.values():
            self.lessons[lesson.group].append(lesson)
        self.groups_of: dict[str, list[GroupRow]] = defaultdict(list)
        for group in roster.groups.values():
            for pupil in group.pupils:
                self.groups_of[pupil].append(group)

    def groups(self) -> Iterator[tuple[GroupRow, Rules]]:
        """The groups whose programme is known (an unknown one is reported by validation) and read
        whole."""
        for group in self.roster.groups.values():
            rules = self.rules.get(group.programme)
            if rules is not None and group.programme not in self.unsure:
                yield group, rules

    def schools_of(self, group: GroupRow) -> list[SchoolRow]:
        """The group's school and its pupils' schools (a virtual class spans several)."""
        codes = {group.school} | {
            person.school
            for person in (self.roster.people.get(p) for p in group.pupils)
            if person is not None
        }
        return [self.roster.schools[c] for c in sorted(c for c in codes if c and c in self.roster.schools)]


Check = Callable[[Facts], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    check: Check
    warning: bool = False


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def _when(lesson: LessonRow) -> dict[str, object]:
    """A lesson's day and hours, as the messages name them."""
    begin = _minutes(lesson.start)
    return {
        "day": T(f"weekday.{lesson.weekday}"),
        "start": _hhmm(begin),
        "end": _hhmm(begin + lesson.minutes),
    }


# -- groups ----------------------------------------------------------------------------------------


def subject(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        if group.subject and group.subject not in rules.subjects:
            reason = T("roster.error.unknown_subject", subject=group.subject, programme=rules.code)
            yield Finding(group.at, "subject", reason)


def group_size(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        if group.pupils and not rules.min_group_size <= len(group.pupils) <= rules.max_group_size:
            reason = T(
                "roster.error.group_size",
                size=len(group.pupils),
                min=rules.min_group_size,
                max=rules.max_group_size,
            )
            yield Finding(group.at, "pupils", reason)


def grades(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        low, high = rules.min_grade or 1, rules.max_grade or 12
        for pupil in group.pupils:
            _, grade = facts.class_of.get(pupil, ("", 0))
            if grade and not low <= grade <= high:
                reason = T("roster.error.grade_outside_programme", id=pupil, grade=grade, min=low, max=high)
                yield Finding(group.at, "pupils", reason)


def one_group_per_subject(facts: Facts) -> Iterator[Finding]:
    first: dict[tuple[str, str], str] = {}
    for group in facts.roster.groups.values():
        if not group.subject:
            continue
        for pupil in group.pupils:
            other = first.setdefault((pupil, group.subject), group.code)
            if other != group.code:
                yield Finding(group.at, "pupils", T("roster.error.same_subject_twice", id=pupil, group=other))


def subjects_per_pupil(facts: Facts) -> Iterator[Finding]:
    taken: dict[tuple[str, str], set[str]] = defaultdict(set)
    for group, rules in facts.groups():
        if not group.subject:
            continue
        for pupil in group.pupils:
            subjects = taken[(pupil, group.programme)]
            if group.subject in subjects:
                continue
            subjects.add(group.subject)
            if len(subjects) > rules.subjects_per_pupil:
                reason = T("roster.error.too_many_subjects", id=pupil, max=rules.subjects_per_pupil)
                yield Finding(group.at, "pupils", reason)


def one_grade(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        if rules.mixed_grades:
            continue
        classes = {facts.class_of[p] for p in group.pupils if p in facts.class_of}
        if len({grade for _, grade in classes}) > 1:
            names = ", ".join(sorted({name for name, _ in classes}))
            yield Finding(
                group.at, "pupils", T("roster.error.mixed_grades", classes=names, programme=rules.code)
            )


# -- lessons ---------------------------------------------------------------------------------------


def lessons_per_week(facts: Facts) -> Iterator[Finding]:
    """Fewer lessons than the programme's: the group's row; more: each lesson row past the number."""
    if {LESSONS, ""} & facts.unread:
        return
    for group, rules in facts.groups():
        lessons = facts.lessons.get(group.code, [])
        expected = rules.lessons_per_week
        if not lessons or len(lessons) == expected:
            continue
        reason = T(
            "roster.error.lessons_per_week",
            group=group.code,
            count=len(lessons),
            expected=expected,
            programme=rules.code,
        )
        if len(lessons) < expected:
            yield Finding(group.at, "code", reason)
        for extra in lessons[expected:]:
            yield Finding(extra.at, "group", reason)


def no_timetable(facts: Facts) -> Iterator[Finding]:
    if {LESSONS, ""} & facts.unread:
        return
    for group, rules in facts.groups():
        if group.code not in facts.lessons:
            reason = T(
                "roster.note.no_lessons",
                group=group.code,
                expected=rules.lessons_per_week,
                programme=rules.code,
                sheet=LESSONS,
            )
            yield Finding(group.at, "code", reason)


def lesson_length(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        for lesson in facts.lessons.get(group.code, []):
            if lesson.minutes < rules.lesson_minutes:
                reason = T(
                    "roster.error.lesson_too_short",
                    length=N("common.minutes", "minutes", minutes=lesson.minutes),
                    min=N("common.minutes", "minutes", minutes=rules.lesson_minutes),
                )
                yield Finding(lesson.at, "minutes", reason)


def school_hours(facts: Facts) -> Iterator[Finding]:
    """On a school day of any school of the group or its pupils, a lesson stays clear of its hours."""
    for group, rules in facts.groups():
        if not rules.outside_school_hours:
            continue
        schools = facts.schools_of(group)
        for lesson in facts.lessons.get(group.code, []):
            begin = _minutes(lesson.start)
            end = begin + lesson.minutes
            for school in schools:
                in_day = lesson.weekday in school.days
                if in_day and begin < _minutes(school.day_end) and _minutes(school.day_start) < end:
                    reason = T(
                        "roster.error.lesson_in_school_hours",
                        **_when(lesson),
                        school=school.code,
                        day_start=f"{school.day_start:%H:%M}",
                        day_end=f"{school.day_end:%H:%M}",
                    )
                    yield Finding(lesson.at, "start", reason)
                    break


def _clashes(timetable: dict[tuple[str, int], list[LessonRow]]) -> Iterator[tuple[str, LessonRow, LessonRow]]:
    """(person, lesson, the earlier lesson it overlaps) for each person's day, sorted by start: a
    lesson clashes with the one ending last before it when that one has not ended yet."""
    for (person, _day), lessons in timetable.items():
        latest: LessonRow | None = None
        for lesson in sorted(lessons, key=lambda one: (one.start, one.at.row)):
            begin = _minutes(lesson.start)
            if latest is not None and begin < _minutes(latest.start) + latest.minutes:
                yield person, lesson, latest
            if latest is None or begin + lesson.minutes > _minutes(latest.start) + latest.minutes:
                latest = lesson


def tutor_clash(facts: Facts) -> Iterator[Finding]:
    timetable: dict[tuple[str, int], list[LessonRow]] = defaultdict(list)
    for group in facts.roster.groups.values():
        for lesson in facts.lessons.get(group.code, []):
            timetable[(group.tutor, lesson.weekday)].append(lesson)
    for tutor, lesson, earlier in _clashes(timetable):
        reason = T("roster.error.tutor_clash", id=tutor, group=earlier.group, **_when(earlier))
        yield Finding(lesson.at, "start", reason)


def pupil_clash(facts: Facts) -> Iterator[Finding]:
    """One finding per pair of lessons, naming every pupil in both (two lessons of one group are
    the tutor's clash, not each pupil's)."""
    timetable: dict[tuple[str, int], list[LessonRow]] = defaultdict(list)
    for pupil, groups in facts.groups_of.items():
        for group in groups:
            for lesson in facts.lessons.get(group.code, []):
                timetable[(pupil, lesson.weekday)].append(lesson)
    pupils: dict[tuple[At, At], list[str]] = defaultdict(list)
    pairs: dict[tuple[At, At], tuple[LessonRow, LessonRow]] = {}
    for pupil, lesson, earlier in _clashes(timetable):
        if lesson.group != earlier.group:
            pupils[(lesson.at, earlier.at)].append(pupil)
            pairs[(lesson.at, earlier.at)] = (lesson, earlier)
    for key, (lesson, earlier) in pairs.items():
        ids = ", ".join(sorted(pupils[key]))
        yield Finding(
            lesson.at, "start", T("roster.error.pupil_clash", ids=ids, group=earlier.group, **_when(earlier))
        )


# -- eligibility -----------------------------------------------------------------------------------


def low_income(facts: Facts) -> Iterator[Finding]:
    for group, rules in facts.groups():
        if not rules.low_income_only:
            continue
        people = [facts.roster.people.get(p) for p in group.pupils]
        count = sum(1 for person in people if person is not None and not person.low_income)
        if count:
            reason = T(
                "roster.note.not_low_income",
                count=count,
                total=len(group.pupils),
                programme=rules.code,
                sheet=PEOPLE,
                column="low_income",
            )
            yield Finding(group.at, "pupils", reason)


RULES: tuple[Rule, ...] = (
    Rule("subject", subject),
    Rule("group_size", group_size),
    Rule("grades", grades),
    Rule("one_group_per_subject", one_group_per_subject),
    Rule("subjects_per_pupil", subjects_per_pupil),
    Rule("one_grade", one_grade),
    Rule("lessons_per_week", lessons_per_week),
    Rule("no_timetable", no_timetable, warning=True),
    Rule("lesson_length", lesson_length),
    Rule("school_hours", school_hours),
    Rule("tutor_clash", tutor_clash),
    Rule("pupil_clash", pupil_clash),
    Rule("low_income", low_income, warning=True),
)


def check(
    file: str, roster: Roster, rules: dict[str, Rules], read_errors: Iterable[RowError] = ()
) -> tuple[list[RowError], list[RowError]]:
    """(errors, notes): what every rule of `RULES` finds in the roster, as the report's rows.
    `read_errors`: what validation found, naming the sheets not read whole."""
    unread = frozenset(e.sheet if e.sheet in SHEETS else "" for e in read_errors)
    facts = Facts(roster, rules, unread)
    errors: list[RowError] = []
    notes: list[RowError] = []
    for rule in RULES:
        found = notes if rule.warning else errors
        found.extend(RowError(file, f.at.sheet, f.at.row, f.column, f.reason) for f in rule.check(facts))
    return errors, notes
