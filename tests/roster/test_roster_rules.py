"""Each programme rule of `roster.rules`, broken by one edit of the sample roster: the finding names
the sheet, row and column, reads in kk, ru and en, and a refusing rule writes nothing while a warning
lets the file in with a note."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from locales import LANGUAGES
from roster import format_report
from roster.rules import RULES
from tests.support.roster import SAMPLE_CSV, Table, counts, run

pytestmark = pytest.mark.store

Found = tuple[str, int, str, str]  # sheet, row, column, reason key
Edit = Callable[[Table], list[Found]]


def _lesson(table: Table, group: str, weekday: str, start: str, minutes: str = "60") -> int:
    return table.append(
        sheet="lessons",
        group=group,
        weekday=weekday,
        start=start,
        minutes=minutes,
        link="https://meet.jit.si/x",
    )


def _group(table: Table, code: str, subject: str, tutor: str, pupils: str) -> int:
    return table.append(
        sheet="groups",
        code=code,
        programme="digital-tutor",
        subject=subject,
        school="SH2",
        tutor=tutor,
        pupils=pupils,
    )


def subject(table: Table) -> list[Found]:
    table.find("groups", code="PHYS-9")["subject"] = "astronomy"
    return [("groups", table.line("groups", code="PHYS-9"), "subject", "roster.error.unknown_subject")]


def group_size(table: Table) -> list[Found]:
    table.find("groups", code="HIST-9")["pupils"] = "SH2-P21 SH2-P29"
    return [("groups", table.line("groups", code="HIST-9"), "pupils", "roster.error.group_size")]


def grades(table: Table) -> list[Found]:
    """Three pupils moved to a grade-7 class and grouped: each is outside «Цифрлық ұстаз»'s 8–11."""
    table.append(sheet="classes", name="7В", school="SH2", grade="7")
    for pupil in ("SH2-P15", "SH2-P17", "SH2-P19"):
        table.find("people", id=pupil)["class"] = "7В"
    row = _group(table, "ALG-7", "algebra", "SH2-S06", "SH2-P15, SH2-P17, SH2-P19")
    _lesson(table, "ALG-7", "Sat", "10:00")
    _lesson(table, "ALG-7", "Sun", "10:00")
    return [("groups", row, "pupils", "roster.error.grade_outside_programme")] * 3


def one_group_per_subject(table: Table) -> list[Found]:
    row = _group(table, "ALG-8B", "algebra", "SH2-S06", "SH2-P01, SH2-P02, SH2-P04")
    _lesson(table, "ALG-8B", "Sat", "10:00")
    _lesson(table, "ALG-8B", "Sun", "10:00")
    return [("groups", row, "pupils", "roster.error.same_subject_twice")]


def subjects_per_pupil(table: Table) -> list[Found]:
    """SH2-P03 takes algebra and chemistry already."""
    row = _group(table, "GEO-8", "geometry", "SH2-S06", "SH2-P03, SH2-P15, SH2-P17")
    _lesson(table, "GEO-8", "Sat", "10:00")
    _lesson(table, "GEO-8", "Sun", "10:00")
    return [("groups", row, "pupils", "roster.error.too_many_subjects")]


def one_grade(table: Table) -> list[Found]:
    """8А's SH2-P15 in the grade-9 history group."""
    table.find("groups", code="HIST-9")["pupils"] = "SH2-P21, SH2-P29, SH2-P31, SH2-P15"
    return [("groups", table.line("groups", code="HIST-9"), "pupils", "roster.error.mixed_grades")]


def lessons_per_week(table: Table) -> list[Found]:
    """One lesson short in algebra, one too many in chemistry."""
    table.remove("lessons", group="ALG-8", weekday="Wed")
    extra = _lesson(table, "CHEM-8", "Fri", "16:00")
    return [
        ("groups", table.line("groups", code="ALG-8"), "code", "roster.error.lessons_per_week"),
        ("lessons", extra, "group", "roster.error.lessons_per_week"),
    ]


def no_timetable(table: Table) -> list[Found]:
    table.remove("lessons", group="HIST-9", weekday="Tue")
    table.remove("lessons", group="HIST-9", weekday="Fri")
    return [("groups", table.line("groups", code="HIST-9"), "code", "roster.note.no_lessons")]


def lesson_length(table: Table) -> list[Found]:
    table.find("lessons", group="CHEM-8", weekday="Tue")["minutes"] = "45"
    return [
        (
            "lessons",
            table.line("lessons", group="CHEM-8", weekday="Tue"),
            "minutes",
            "roster.error.lesson_too_short",
        )
    ]


def school_hours(table: Table) -> list[Found]:
    table.find("lessons", group="ALG-8", weekday="Wed")["start"] = "13:30"
    return [
        (
            "lessons",
            table.line("lessons", group="ALG-8", weekday="Wed"),
            "start",
            "roster.error.lesson_in_school_hours",
        )
    ]


def tutor_clash(table: Table) -> list[Found]:
    """SH2-S05 teaches chemistry on Tuesday 16:00–17:00; physics moved to 16:30 the same day."""
    table.find("lessons", group="PHYS-9", weekday="Mon")["weekday"] = "Tue"
    return [
        ("lessons", table.line("lessons", group="PHYS-9", weekday="Tue"), "start", "roster.error.tutor_clash")
    ]


def pupil_clash(table: Table) -> list[Found]:
    """SH2-P03 and SH2-P05 have algebra on Monday 15:00–16:00; chemistry moved to 15:30 then."""
    lesson = table.find("lessons", group="CHEM-8", weekday="Tue")
    lesson["weekday"], lesson["start"] = "Mon", "15:30"
    return [
        ("lessons", table.line("lessons", group="CHEM-8", weekday="Mon"), "start", "roster.error.pupil_clash")
    ]


def low_income(table: Table) -> list[Found]:
    table.find("people", id="SH2-P01")["low_income"] = ""
    return [("groups", table.line("groups", code="ALG-8"), "pupils", "roster.note.not_low_income")]


CASES: dict[str, Edit] = {
    f.__name__: f
    for f in (
        subject,
        group_size,
        grades,
        one_group_per_subject,
        subjects_per_pupil,
        one_grade,
        lessons_per_week,
        no_timetable,
        lesson_length,
        school_hours,
        tutor_clash,
        pupil_clash,
        low_income,
    )
}
WARNINGS = {rule.name for rule in RULES if rule.warning}


def test_every_rule_has_a_row_that_breaks_it() -> None:
    assert set(CASES) == {rule.name for rule in RULES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_row_that_breaks_a_rule_is_named_in_every_language(
    engine: Engine, tmp_path: Path, name: str
) -> None:
    table = Table()
    expected = CASES[name](table)
    before = counts(engine)
    report = run(engine, table.write(tmp_path / f"{name}.csv"))
    if name in WARNINGS:
        assert report.ok, format_report(report, "en")
        found, lines = report.notes, format_report(report, "en")[-len(report.notes) :]
        assert counts(engine) != before
    else:
        assert not report.ok
        found, lines = report.errors, format_report(report, "en")[1:]
        assert counts(engine) == before
    assert [(f.sheet, f.row, f.field, f.reason.key) for f in found] == expected, lines
    for language in LANGUAGES:
        text = format_report(report, language)
        assert all(str(row) in "\n".join(text) for _, row, _, _ in expected)
        assert not any(part in line for line in text for part in ("roster.error", "roster.note", "weekday."))


def test_the_sample_roster_breaks_no_rule(engine: Engine) -> None:
    report = run(engine, SAMPLE_CSV)
    assert report.ok and report.notes == [], format_report(report, "en")


def test_a_sunday_morning_lesson_is_outside_school_hours(engine: Engine, tmp_path: Path) -> None:
    """School hours bind on school days only: Sunday 10:00 is free, and so is Saturday at a
    five-day school; at a six-day school Saturday 10:00 is refused."""
    table = Table()
    table.find("lessons", group="ALG-8", weekday="Wed")["weekday"] = "Sun"
    table.find("lessons", group="ALG-8", weekday="Sun")["start"] = "10:00"
    table.find("lessons", group="HIST-9", weekday="Fri")["weekday"] = "Sat"
    table.find("lessons", group="HIST-9", weekday="Sat")["start"] = "10:00"
    assert run(engine, table.write(tmp_path / "weekend.csv")).ok

    table.find("schools", code="SH2")["school_days"] = "дс-сн"  # Monday to Saturday, in Kazakh
    report = run(engine, table.write(tmp_path / "six-days.csv"))
    saturday = table.line("lessons", group="HIST-9", weekday="Sat")
    assert [(e.sheet, e.row, e.field, e.reason.key) for e in report.errors] == [
        ("lessons", saturday, "start", "roster.error.lesson_in_school_hours")
    ]
    assert format_report(report, "en")[1] == (
        f"sheet lessons, row {saturday}, start: The lesson on Saturday, 10:00–11:00, falls within the school"
        " hours of SH2 (08:00–14:30)"
    )
    assert format_report(report, "kk")[1].endswith(
        "сенбі, 10:00–11:00 сабағы SH2 мектебінің оқу уақытына (08:00–14:30) түседі"
    )


def test_a_clash_names_the_lesson_it_clashes_with(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    pupil_clash(table)
    report = run(engine, table.write(tmp_path / "clash.csv"))
    assert format_report(report, "en")[1].endswith(
        "Pupils already in a lesson of group ALG-8 then (Monday, 15:00–16:00): SH2-P03, SH2-P05"
    )
    assert format_report(report, "ru")[1].endswith(
        "Ученики, у которых в это время занятие группы ALG-8 (понедельник, 15:00–16:00): SH2-P03, SH2-P05"
    )


def test_the_low_income_warning_counts_and_names_nobody(engine: Engine, tmp_path: Path) -> None:
    """A roster with nobody marked low-income imports, with one count per group of the programme."""
    table = Table()
    for row in table.rows:
        if row["sheet"] == "people":
            row["low_income"] = ""
    report = run(engine, table.write(tmp_path / "nobody.csv"))
    assert report.ok
    assert [(n.row, n.reason.params["count"], n.reason.params["total"]) for n in report.notes] == [
        (table.line("groups", code=code), size, size)
        for code, size in (("ALG-8", 5), ("CHEM-8", 4), ("PHYS-9", 4), ("HIST-9", 3))
    ]
    assert all("SH2-" not in line for line in format_report(report, "kk")[-4:])
