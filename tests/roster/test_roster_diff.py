"""An edited roster applies just the difference; what the file no longer holds is removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import ChannelIdentity, GroupMember, Lesson, Membership, Person, SchoolClass, TutoringGroup
from roster import format_report
from tests.support.roster import SAMPLE_CSV, Table, counts, run, snapshot

pytestmark = pytest.mark.store


def test_an_edited_file_applies_just_the_difference(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    table = Table()
    table.find("people", id="SH2-P15")["class"] = "9Б"  # a moved pupil
    table.find("people", id="SH2-G01")["phone"] = "+7 701 555 09 99"  # a changed phone
    table.append(sheet="lessons", group="HIST-9", weekday="Wed", start="16:00", minutes="60",
                 link="https://meet.jit.si/Ustaz-SH2-HIST-9")  # fmt: skip
    table.remove("lessons", group="HIST-9", weekday="Fri")  # moved to Wednesday
    report = run(engine, table.write(tmp_path / "edited.csv"))
    assert report.ok, format_report(report, "en")

    assert report.count("membership", "updated") == 1
    assert report.count("person", "updated") == 1
    assert report.count("channel", "removed") == 2 and report.count("channel", "created") == 2
    assert report.count("lesson", "created") == 1 and report.count("lesson", "removed") == 1
    assert report.changed == 1 + 1 + 4 + 2
    assert report.invites == []

    with Session(engine) as session:
        pupil = session.exec(select(Person).where(Person.external_id == "SH2-P15")).one()
        nine = session.exec(select(SchoolClass).where(SchoolClass.name == "9Б")).one()
        assert session.exec(select(Membership.class_id).where(Membership.person_id == pupil.id)).all() == [
            nine.id
        ]
        parent = session.exec(select(Person).where(Person.external_id == "SH2-G01")).one()
        assert parent.phone == "+77015550999"
        mine = session.exec(select(ChannelIdentity).where(ChannelIdentity.person_id == parent.id)).all()
        assert {i.address for i in mine} == {"+77015550999"}
        old = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == "+77005550009")).all()
        assert len(old) == 2 and all(i.person_id is None for i in old)  # detached, history kept
        hist = session.exec(select(TutoringGroup).where(TutoringGroup.code == "HIST-9")).one()
        friday = session.exec(select(Lesson).where(Lesson.group_id == hist.id, Lesson.weekday == 4)).one()
        assert friday.active is False
    assert counts(engine)["lesson"] == 9

    again = run(engine, tmp_path / "edited.csv")
    assert again.ok and again.changed == 0

    back = run(
        engine, SAMPLE_CSV
    )  # the original again: the Friday history lesson comes back, Wednesday's goes
    assert back.ok
    assert back.count("lesson", "updated") == 1 and back.count("lesson", "removed") == 1
    with Session(engine) as session:
        assert session.get(Lesson, friday.id).active is True  # type: ignore[union-attr]


def test_group_membership_moves_and_removed_people_lose_their_roles(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    table = Table()
    table.find("groups", code="ALG-8")["pupils"] = "SH2-P01, SH2-P03, SH2-P05, SH2-P07"
    table.find("groups", code="CHEM-8")["pupils"] = "SH2-P03, SH2-P05, SH2-P11, SH2-P13, SH2-P09"
    table.remove("guardians", guardian="SH2-G40")
    table.remove("people", id="SH2-G40")  # a parent no longer on the roster
    table.find("lessons", group="PHYS-9", weekday="Mon")["link"] = "https://meet.jit.si/Ustaz-SH2-PHYS-9-new"
    report = run(engine, table.write(tmp_path / "edited.csv"))
    assert report.ok, format_report(report, "en")
    assert report.count("group_member", "removed") == 1 and report.count("group_member", "created") == 1
    assert report.count("membership", "removed") == 1
    assert report.count("guardianship", "removed") == 1
    assert report.count("lesson", "updated") == 1
    assert report.count("person", "created") == 0
    with Session(engine) as session:
        gone = session.exec(select(Person).where(Person.external_id == "SH2-G40")).one()  # kept: history
        assert session.exec(select(Membership).where(Membership.person_id == gone.id)).all() == []
        chem = session.exec(select(TutoringGroup).where(TutoringGroup.code == "CHEM-8")).one()
        size = len(session.exec(select(GroupMember).where(GroupMember.group_id == chem.id)).all())
        assert size == 5


def test_a_group_dropped_from_the_file_is_emptied_and_its_lessons_stop(
    engine: Engine, tmp_path: Path
) -> None:
    assert run(engine, SAMPLE_CSV).ok
    table = Table()
    table.remove("groups", code="HIST-9")
    table.remove("lessons", group="HIST-9", weekday="Tue")
    table.remove("lessons", group="HIST-9", weekday="Fri")
    report = run(engine, table.write(tmp_path / "edited.csv"))
    assert report.ok, format_report(report, "en")
    assert report.count("group", "removed") == 1
    assert report.count("group_member", "removed") == 3 and report.count("lesson", "removed") == 2
    with Session(engine) as session:
        hist = session.exec(select(TutoringGroup).where(TutoringGroup.code == "HIST-9")).one()
        assert session.exec(select(GroupMember).where(GroupMember.group_id == hist.id)).all() == []
        lessons = session.exec(select(Lesson).where(Lesson.group_id == hist.id)).all()
        assert len(lessons) == 2 and not any(x.active for x in lessons)
    before = snapshot(engine)
    assert run(engine, tmp_path / "edited.csv").changed == 0
    assert snapshot(engine) == before
