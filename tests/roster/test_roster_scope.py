"""An upload limited to the uploader's schools: a file reaching into another school is refused row by
row and writes nothing; the uploader's own school still imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Person, School
from roster import ImportReport, format_report, import_roster
from tests.support.roster import NOW, SAMPLE_CSV, TTL, Table, run, snapshot

pytestmark = pytest.mark.store

OWN = frozenset({"SH2"})


def other_school() -> Table:
    """The sample school copied as a second one, SH3: its own ids, phones, addresses and groups."""
    table = Table()
    for row in table.rows:
        for name, value in row.items():
            row[name] = value.replace("SH2", "SH3")
        row["phone"] = row["phone"].replace("555", "556")
        if row["postal_address"]:
            row["postal_address"] += ", 2"
        if row["sheet"] == "groups":
            row["code"] += "-B"
        if row["sheet"] == "lessons":
            row["group"] += "-B"
    return table


def limited(engine: Engine, path: Path, *, dry_run: bool = False) -> ImportReport:
    return import_roster(engine, path, dry_run=dry_run, invite_ttl=TTL, now=NOW, only_schools=OWN)


def found(report: ImportReport) -> set[tuple[str, int, str, str]]:
    return {(e.sheet, e.row, e.field, e.reason.key) for e in report.errors}


@pytest.fixture
def two_schools(engine: Engine, tmp_path: Path) -> Table:
    """The store holds SH2 (the uploader's) and SH3 (someone else's), both imported from the command line."""
    assert run(engine, SAMPLE_CSV).ok
    table = other_school()
    report = run(engine, table.write(tmp_path / "sh3.csv"))
    assert report.ok, format_report(report, "en")
    return table


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_file_of_another_school_is_refused_row_by_row_and_nothing_is_written(
    engine: Engine, tmp_path: Path, two_schools: Table, dry_run: bool
) -> None:
    before = snapshot(engine)
    two_schools.find("people", id="SH3-P01")["phone"] = "+7 701 000 00 01"
    two_schools.find("people", id="SH3-P02")["class"] = "9Б"
    report = limited(engine, two_schools.write(tmp_path / "sh3-edited.csv"), dry_run=dry_run)
    assert not report.ok
    errors = found(report)
    assert (
        "schools",
        two_schools.line("schools", code="SH3"),
        "code",
        "roster.error.school_not_yours",
    ) in errors
    for person in ("SH3-P01", "SH3-P02", "SH3-S01", "SH3-G01"):
        row = two_schools.line("people", id=person)
        assert ("people", row, "id", "roster.error.person_of_other_school") in errors
    row = two_schools.line("groups", code="ALG-8-B")
    assert ("groups", row, "code", "roster.error.group_of_other_school") in errors
    assert all(e.file == "sh3-edited.csv" for e in report.errors)
    lines = format_report(report, "en")
    assert any("SH3" in line and "not one of yours" in line for line in lines)
    assert snapshot(engine) == before


def test_a_new_school_outside_the_limit_is_refused(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    before = snapshot(engine)
    table = Table()
    line = table.append(sheet="schools", code="SH9", name="Басқа мектеп")
    report = limited(engine, table.write(tmp_path / "two.csv"))
    assert [(e.sheet, e.row, e.field, e.reason.key) for e in report.errors] == [
        ("schools", line, "code", "roster.error.school_not_yours")
    ]
    for language in ("kk", "ru", "en"):
        assert "SH9" in report.errors[0].reason.render(language)
    assert snapshot(engine) == before
    with Session(engine) as session:
        assert session.exec(select(School).where(School.code == "SH9")).first() is None


def test_a_person_of_another_school_cannot_be_taken_into_ones_own(
    engine: Engine, tmp_path: Path, two_schools: Table
) -> None:
    before = snapshot(engine)
    table = Table()
    moved = two_schools.find("people", id="SH3-P01")
    line = table.append(**{**moved, "school": "SH2", "class": "8А", "phone": "+7 701 000 00 02"})
    path = table.write(tmp_path / "sh2-with-sh3-pupil.csv")
    report = limited(engine, path)
    assert found(report) == {("people", line, "id", "roster.error.person_of_other_school")}
    assert snapshot(engine) == before
    # From the command line (no limit) the same file is accepted; the pupil is then also SH2's,
    # and SH2's own uploads may name them.
    assert run(engine, path).ok
    assert limited(engine, path).ok


def test_the_uploaders_own_school_still_imports(engine: Engine, tmp_path: Path, two_schools: Table) -> None:
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = "+7 701 555 09 99"
    report = limited(engine, table.write(tmp_path / "sh2-edited.csv"))
    assert report.ok, format_report(report, "en")
    assert report.count("person", "updated") == 1
    with Session(engine) as session:
        parent = session.exec(select(Person).where(Person.external_id == "SH2-G01")).one()
        assert parent.phone == "+77015550999"
