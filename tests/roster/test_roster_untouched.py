"""Another school's import keeps a school's memory when it reached nothing of it: the school's same
file again reads neither the file nor the store. When it reached something — a person, a group, a
programme — the school's next import compares and puts back what its file says."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import GroupMember, Person, TutoringGroup
from tests.roster.test_roster_scope import other_school
from tests.support.roster import SAMPLE_CSV, Table, run
from tests.support.statements import read, written

pytestmark = pytest.mark.store

REMEMBERED = {"roster_memory", "roster_store_version", "alembic_version"}


def test_another_schools_import_keeps_this_ones_memory(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    sh3 = other_school().write(tmp_path / "sh3.csv")
    assert run(engine, sh3).changed > 0
    with written(engine) as rows, read(engine) as tables:
        again = run(engine, SAMPLE_CSV)
    assert again.ok and again.unchanged and rows == {"audit_log": 1} and tables == REMEMBERED
    with written(engine) as rows:  # and the other way round
        assert run(engine, sh3).unchanged
    assert rows == {"audit_log": 1}


def test_a_person_renamed_by_another_schools_file_is_put_back(engine: Engine, tmp_path: Path) -> None:
    """SH3's file names SH2's tutor too, under another name: SH2's file names them as before."""
    assert run(engine, SAMPLE_CSV).ok
    sh3 = other_school()
    tutor = Table().find("people", id="SH2-S04")
    sh3.append(**{**tutor, "school": "SH3", "full_name": "Басқа Есім"})
    assert run(engine, sh3.write(tmp_path / "sh3.csv")).ok
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged and report.count("person", "updated") == 1
    with Session(engine) as session:
        name = session.exec(select(Person.full_name).where(Person.external_id == "SH2-S04")).one()
    assert name == tutor["full_name"]


def test_a_group_taken_by_another_schools_file_is_put_back(engine: Engine, tmp_path: Path) -> None:
    """SH3's file names SH2's algebra group with its own pupils: SH2's file gives it back its pupils."""
    assert run(engine, SAMPLE_CSV).ok
    sh3 = other_school()
    sh3.find("groups", code="ALG-8-B")["code"] = "ALG-8"
    for lesson in sh3.rows:
        if lesson["sheet"] == "lessons" and lesson["group"] == "ALG-8-B":
            lesson["group"] = "ALG-8"
    assert run(engine, sh3.write(tmp_path / "sh3.csv")).ok
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged and report.count("group_member", "created") == 5
    with Session(engine) as session:
        pupils = session.exec(
            select(Person.external_id)
            .join(GroupMember, GroupMember.pupil_id == Person.id)  # type: ignore[arg-type]
            .join(TutoringGroup, TutoringGroup.id == GroupMember.group_id)  # type: ignore[arg-type]
            .where(TutoringGroup.code == "ALG-8")
        ).all()
    assert sorted(pupils) == ["SH2-P01", "SH2-P03", "SH2-P05", "SH2-P07", "SH2-P09"]


def test_a_programme_changed_by_another_schools_file_checks_again(engine: Engine, tmp_path: Path) -> None:
    """Every school's groups are checked against their programme's rules."""
    assert run(engine, SAMPLE_CSV).ok
    sh3 = other_school()
    sh3.find("programmes")["postal_interval_days"] = "7"
    assert run(engine, sh3.write(tmp_path / "sh3.csv")).ok
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged and report.count("programme", "updated") == 1
