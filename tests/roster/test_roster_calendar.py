"""The roster's optional `calendar` sheet: a school's own days off, working days and holidays for
some grades; present, it is the school's whole calendar; absent, the school's entries stay; bad rows
are reported with sheet, row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CalendarEntry, School
from roster import format_report
from schoolyear import calendar_for, span_name
from tests.support.roster import SAMPLE_XLSX, Table, run

pytestmark = pytest.mark.store


def entries(engine: Engine) -> list[tuple[str, date, date, str, list[int]]]:
    with Session(engine) as session:
        rows = session.exec(select(CalendarEntry).order_by(col(CalendarEntry.starts))).all()
        return [(row.kind, row.starts, row.ends, row.name, row.grades) for row in rows]


def school_id(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.exec(select(School.id)).one()
        assert found is not None
        return found


def with_calendar(tmp_path: Path) -> Path:
    table = Table()
    table.append(
        sheet="calendar", kind="карантин", start="07.12.2026", end="2026-12-09", name="Тұмау карантині"
    )
    table.append(sheet="calendar", kind="жұмыс күні", start="2026-12-16", name="Олимпиадаға дайындық")
    table.append(sheet="calendar", kind="каникулы", start="2027-02-01", end="2027-02-07", grades="1")
    return table.write(tmp_path / "with_calendar.csv")


def test_the_sheet_adds_the_schools_own_entries_and_the_calendar_uses_them(
    engine: Engine, tmp_path: Path
) -> None:
    report = run(engine, with_calendar(tmp_path))
    assert report.ok, format_report(report, "en")
    assert report.count("calendar", "created") == 4  # the sample's own olympiad day, and these three
    assert ("day_off", date(2026, 12, 7), date(2026, 12, 9), "Тұмау карантині", []) in entries(engine)
    with Session(engine) as session:
        calendar = calendar_for(session, school_id(engine))
    reason = calendar.day_off(date(2026, 12, 8))
    assert reason is not None and span_name(reason) == "Тұмау карантині"
    assert calendar.day_off(date(2026, 12, 16)) is None  # Independence Day, and the school works
    assert calendar.day_off(date(2027, 2, 3), frozenset({1})) is not None
    assert calendar.day_off(date(2027, 2, 3), frozenset({8})) is None
    assert any("calendar" in line or "күнтізбе" in line for line in format_report(report, "kk"))

    again = run(engine, with_calendar(tmp_path))
    assert again.count("calendar", "unchanged") == 4 and again.changed == 0


def test_a_file_without_the_sheet_keeps_the_entries_and_an_empty_sheet_clears_them(
    engine: Engine, tmp_path: Path
) -> None:
    assert run(engine, with_calendar(tmp_path)).ok
    workbook = load_workbook(SAMPLE_XLSX)
    del workbook["calendar"]
    without = tmp_path / "without.xlsx"
    workbook.save(without)
    report = run(engine, without)
    assert report.ok and "calendar" not in report.changes
    assert len(entries(engine)) == 4

    workbook = load_workbook(SAMPLE_XLSX)
    sheet = workbook["calendar"]
    sheet.delete_rows(2, sheet.max_row)
    empty = tmp_path / "empty.xlsx"
    workbook.save(empty)
    report = run(engine, empty)
    assert report.ok and report.count("calendar", "removed") == 4 and entries(engine) == []


def test_bad_calendar_rows_are_reported_where_they_are(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    bad_date = table.append(sheet="calendar", kind="day_off", start="31.02.2027")
    bad_kind = table.append(sheet="calendar", kind="мереке", start="2027-03-01")
    backwards = table.append(sheet="calendar", kind="day_off", start="2027-03-10", end="2027-03-01")
    report = run(engine, table.write(tmp_path / "bad.csv"))
    assert not report.ok
    found = {(e.sheet, e.row, e.field, e.reason.key) for e in report.errors}
    assert found == {
        ("calendar", bad_date, "start", "roster.error.bad_date"),
        ("calendar", bad_kind, "kind", "roster.error.bad_calendar_kind"),
        ("calendar", backwards, "end", "roster.error.calendar_span"),
    }
    assert entries(engine) == []
