"""Bad rows: each is reported with file, sheet, row, field and a translated reason, and a file with
any error writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import LANGUAGES
from models import GroupMember, Person, Programme, TutoringGroup
from roster import format_report
from roster.schema import COLUMNS
from tests.support.roster import SAMPLE_CSV, SAMPLE_XLSX, Table, counts, run, snapshot

pytestmark = pytest.mark.store

Edit = Callable[[Table], tuple[str, int, str]]  # edits the table; returns (sheet, row, field) expected


def _set(sheet: str, match: dict[str, str], field: str, value: str) -> Edit:
    def edit(table: Table) -> tuple[str, int, str]:
        row = table.line(sheet, **match)
        table.find(sheet, **match)[field] = value
        return sheet, row, field

    return edit


def _duplicate_person(table: Table) -> tuple[str, int, str]:
    row = dict(table.find("people", id="SH2-P07"))
    row["full_name"] = "Басқа Оқушы"
    return "people", table.append(**row), "id"


def _shared_phone(table: Table) -> tuple[str, int, str]:
    table.find("people", id="SH2-P02")["phone"] = table.find("people", id="SH2-G02")["phone"]
    first, second = table.line("people", id="SH2-P02"), table.line("people", id="SH2-G02")
    return "people", max(first, second), "phone"


def _third_subject(table: Table) -> tuple[str, int, str]:
    """SH2-P03 already takes algebra and chemistry."""
    row = table.append(
        sheet="groups",
        code="GEO-8",
        programme="digital-tutor",
        subject="geometry",
        school="SH2",
        tutor="SH2-S06",
        pupils="SH2-P03, SH2-P15, SH2-P17",
    )
    return "groups", row, "pupils"


CASES: dict[str, tuple[Edit, str]] = {
    "unknown class": (_set("people", {"id": "SH2-P05"}, "class", "8В"), "roster.error.unknown_class"),
    "unknown school": (_set("classes", {"name": "9Б"}, "school", "SH9"), "roster.error.unknown_school"),
    "unknown group": (
        _set("lessons", {"group": "PHYS-9", "weekday": "Thu"}, "group", "GEO-7"),
        "roster.error.unknown_group",
    ),
    "unknown person": (
        _set("guardians", {"guardian": "SH2-G05"}, "pupil", "SH2-P99"),
        "roster.error.unknown_person",
    ),
    "bad phone": (_set("people", {"id": "SH2-G03"}, "phone", "8 701 123"), "roster.error.bad_phone"),
    "group of six": (
        _set("groups", {"code": "ALG-8"}, "pupils", "SH2-P01, SH2-P03, SH2-P05, SH2-P07, SH2-P09, SH2-P11"),
        "roster.error.group_size",
    ),
    "group of two": (
        _set("groups", {"code": "HIST-9"}, "pupils", "SH2-P21 SH2-P29"),
        "roster.error.group_size",
    ),
    "third subject": (_third_subject, "roster.error.too_many_subjects"),
    "lesson in school hours": (
        _set("lessons", {"group": "ALG-8", "weekday": "Wed"}, "start", "13:30"),
        "roster.error.lesson_in_school_hours",
    ),
    "lesson too short": (
        _set("lessons", {"group": "CHEM-8", "weekday": "Tue"}, "minutes", "45"),
        "roster.error.lesson_too_short",
    ),
    "unknown subject": (
        _set("groups", {"code": "PHYS-9"}, "subject", "astronomy"),
        "roster.error.unknown_subject",
    ),
    "unknown programme": (
        _set("groups", {"code": "PHYS-9"}, "programme", "night-school"),
        "roster.error.unknown_programme",
    ),
    "unknown role": (_set("people", {"id": "SH2-S07"}, "role", "janitor"), "roster.error.unknown_role"),
    "unknown language": (
        _set("people", {"id": "SH2-G06"}, "language", "de"),
        "roster.error.unknown_language",
    ),
    "duplicate external id": (_duplicate_person, "roster.error.duplicate"),
    "missing name": (_set("people", {"id": "SH2-P10"}, "full_name", ""), "roster.error.missing_field"),
    "missing class of a pupil": (
        _set("people", {"id": "SH2-P10"}, "class", ""),
        "roster.error.missing_field",
    ),
    "by post without an address": (
        _set("people", {"id": "SH2-G04"}, "postal_address", ""),
        "roster.error.missing_field",
    ),
    "shared phone": (_shared_phone, "roster.error.phone_taken"),
    "pupil as tutor": (_set("groups", {"code": "CHEM-8"}, "tutor", "SH2-P01"), "roster.error.wrong_role"),
    "bad weekday": (
        _set("lessons", {"group": "HIST-9", "weekday": "Tue"}, "weekday", "Funday"),
        "roster.error.bad_weekday",
    ),
    "bad time": (
        _set("lessons", {"group": "HIST-9", "weekday": "Tue"}, "start", "25:00"),
        "roster.error.bad_time",
    ),
    "bad flag": (_set("people", {"id": "SH2-P01"}, "low_income", "maybe"), "roster.error.bad_flag"),
    "bad grade": (_set("classes", {"name": "8А"}, "grade", "eight"), "roster.error.bad_number"),
    "bad link": (
        _set("lessons", {"group": "ALG-8", "weekday": "Mon"}, "link", "meet me at school"),
        "roster.error.bad_link",
    ),
    "name too long": (_set("people", {"id": "SH2-P11"}, "full_name", "А" * 201), "roster.error.too_long"),
    "unknown sheet": (
        _set("lessons", {"group": "ALG-8", "weekday": "Mon"}, "sheet", "holidays"),
        "roster.error.unknown_sheet",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_row_is_reported_and_nothing_is_written(engine: Engine, tmp_path: Path, case: str) -> None:
    assert run(engine, SAMPLE_CSV).ok
    before_counts, before = counts(engine), snapshot(engine)
    edit, key = CASES[case]
    table = Table()
    sheet, row, field = edit(table)
    path = table.write(tmp_path / "bad.csv")

    for dry_run in (True, False):
        report = run(engine, path, dry_run=dry_run)
        assert not report.ok
        assert [(e.file, e.sheet, e.row, e.field, e.reason.key) for e in report.errors] == [
            ("bad.csv", "holidays" if case == "unknown sheet" else sheet, row, field, key)
        ], format_report(report, "en")
        assert report.changes == {} and report.invites == []
    for language in LANGUAGES:
        lines = format_report(report, language)
        assert str(row) in lines[1] and "roster.error" not in lines[1]
    assert counts(engine) == before_counts
    assert snapshot(engine) == before


def test_every_error_of_a_file_is_collected(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    edits = [
        _set("people", {"id": "SH2-G03"}, "phone", "12345"),
        _set("groups", {"code": "PHYS-9"}, "subject", "astronomy"),
        _set("lessons", {"group": "ALG-8", "weekday": "Wed"}, "start", "09:00"),
        _set("people", {"id": "SH2-G06"}, "language", "fr"),
    ]
    expected = [edit(table) for edit in edits]
    report = run(engine, table.write(tmp_path / "bad.csv"), dry_run=True)
    assert sorted((e.sheet, e.row, e.field) for e in report.errors) == sorted(expected)
    assert counts(engine)["person"] == 0


def test_a_first_import_with_an_error_writes_nothing_at_all(engine: Engine, tmp_path: Path) -> None:
    before = counts(engine)
    table = Table()
    _set("people", {"id": "SH2-P05"}, "class", "11Z")(table)
    report = run(engine, table.write(tmp_path / "bad.csv"))
    assert not report.ok
    assert counts(engine) == before


def test_a_missing_sheet_is_an_error(engine: Engine, tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for sheet, columns in COLUMNS.items():
        if sheet != "lessons":
            workbook.create_sheet(sheet).append(list(columns))
    workbook.save(tmp_path / "partial.xlsx")
    report = run(engine, tmp_path / "partial.xlsx")
    assert [(e.sheet, e.reason.key) for e in report.errors] == [("lessons", "roster.error.missing_sheet")]


def test_kazakh_and_russian_headers_are_accepted(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    aliases = {
        "sheet": "парақ",
        "full_name": "аты-жөні",
        "phone": "телефон",
        "role": "роль",
        "class": "сынып",
    }
    table.header = [aliases.get(h, h) for h in table.header]
    table.rows = [{aliases.get(k, k): v for k, v in row.items()} for row in table.rows]
    assert run(engine, table.write(tmp_path / "kk.csv")).ok
    assert run(engine, SAMPLE_XLSX).changed == 0


def test_files_that_are_not_rosters_are_refused(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "roster.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "roster.xlsx").write_bytes(b"not a zip")
    (tmp_path / "roster.csv").write_bytes("sheet;code\nschools;ШК".encode("cp1251"))
    keys = {
        name: [e.reason.key for e in run(engine, tmp_path / name).errors]
        for name in ("roster.pdf", "roster.xlsx", "roster.csv")
    }
    assert keys == {
        "roster.pdf": ["roster.error.unsupported_format"],
        "roster.xlsx": ["roster.error.unreadable_file"],
        "roster.csv": ["roster.error.bad_encoding"],
    }


def test_a_store_rule_the_file_cannot_see_is_reported_and_nothing_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    """A pupil already in a biology group outside the file's schools: adding a second subject in the
    file makes three, which only the store's own rule can see."""
    assert run(engine, SAMPLE_CSV).ok
    with Session(engine) as session:
        programme = session.exec(select(Programme)).one()
        ids = {p.external_id: p.id for p in session.exec(select(Person))}
        other = TutoringGroup(code="BIO-X", programme_id=programme.id, subject="biology", school_id=None)
        session.add(other)
        session.flush()
        for pupil in ("SH2-P01", "SH2-P07", "SH2-P09"):
            session.add(GroupMember(group_id=other.id, pupil_id=ids[pupil]))  # type: ignore[arg-type]
        session.commit()
    before = counts(engine)
    table = Table()
    table.find("groups", code="CHEM-8")["pupils"] += ", SH2-P01"
    for dry_run in (True, False):
        report = run(engine, table.write(tmp_path / "edited.csv"), dry_run=dry_run)
        assert [(e.sheet, e.field, e.reason.key) for e in report.errors] == [
            ("groups", "pupils", "roster.error.too_many_subjects")
        ]
        assert report.errors[0].reason.params["id"] == "SH2-P01"
    assert counts(engine) == before
