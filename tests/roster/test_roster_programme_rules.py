"""Two roster rules that keep a child where consent and the programme expect them: a pupil of grade 7
is not put in a «Цифрлық ұстаз» group (grades 8–11), and a pupil is in one group a subject. Either is
refused with sheet, row and column, in the reader's language, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster import ImportReport, format_report
from tests.support.roster import Table, counts, run

pytestmark = pytest.mark.store


def _refused(
    engine: Engine, table: Table, path: Path
) -> tuple[list[tuple[str, int, str, str]], ImportReport]:
    before = counts(engine)
    report = run(engine, table.write(path))
    assert not report.ok and counts(engine) == before
    return [(e.sheet, e.row, e.field, e.reason.key) for e in report.errors], report


def test_a_grade_7_pupil_in_a_digital_tutor_group_is_refused_where_it_is(
    engine: Engine, tmp_path: Path
) -> None:
    table = Table()
    table.append(sheet="classes", name="7В", school="SH2", grade="7", class_teacher="SH2-S03")
    table.find("people", id="SH2-P01")["class"] = "7В"
    errors, report = _refused(engine, table, tmp_path / "grade7.csv")
    row = table.line("groups", code="ALG-8")
    assert errors == [  # and 7В is not a class of the group's grade
        ("groups", row, "pupils", "roster.error.grade_outside_programme"),
        ("groups", row, "pupils", "roster.error.mixed_grades"),
    ]
    lines = {lang: format_report(report, lang)[1] for lang in ("kk", "ru", "en")}
    assert lines["en"] == (
        f"sheet groups, row {row}, pupils: “SH2-P01” is in grade 7; this group's programme is for grades 8–11"
    )
    assert lines["ru"].startswith(f"лист groups, строка {row}, pupils: «SH2-P01» учится в 7 классе")
    assert lines["kk"].startswith(f"groups парағы, {row}-жол, pupils: «SH2-P01» оқушысы 7-сыныпта оқиды")


def test_a_pupil_in_two_groups_of_one_subject_is_refused_where_it_is(engine: Engine, tmp_path: Path) -> None:
    table = Table()
    row = table.append(
        sheet="groups",
        code="ALG-8B",
        school="SH2",
        programme="digital-tutor",
        subject="algebra",
        tutor="SH2-S04",
        pupils="SH2-P01, SH2-P02, SH2-P04",
    )
    errors, report = _refused(engine, table, tmp_path / "twice.csv")
    assert errors == [("groups", row, "pupils", "roster.error.same_subject_twice")]
    assert format_report(report, "en")[1] == (
        f"sheet groups, row {row}, pupils: “SH2-P01” is already in group ALG-8 of the same subject"
    )
