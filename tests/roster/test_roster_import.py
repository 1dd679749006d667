"""The roster importer on the sample school: round trip, csv = xlsx, dry run, invites, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditLog, ChannelIdentity, Invite, Lesson, Membership, Person, SchoolClass, TutoringGroup
from models.migrate import upgrade
from models.store import make_engine
from roster import format_report
from sandbox import make_sample_roster
from tests.support.roster import NOW, SAMPLE_CSV, SAMPLE_XLSX, TTL, Table, counts, run, snapshot

pytestmark = pytest.mark.store


def _person(session: Session, external_id: str) -> Person:
    person = session.exec(select(Person).where(Person.external_id == external_id)).one()
    return person


def test_sample_roster_imports_and_matches_the_file(engine: Engine) -> None:
    table = Table()
    report = run(engine, SAMPLE_XLSX)
    assert report.ok, format_report(report, "en")

    people = [r for r in table.rows if r["sheet"] == "people"]
    pupils = [r for r in people if r["role"] == "pupil"]
    assert report.count("person", "created") == len(people) == 87
    assert report.count("school", "created") == 1
    assert report.count("class", "created") == 2
    assert report.count("guardianship", "created") == sum(r["sheet"] == "guardians" for r in table.rows)
    assert report.count("group", "created") == 4
    assert report.count("lesson", "created") == 8
    assert report.count("programme", "created") == 1
    n = counts(engine)
    assert n["person"] == 87 and n["group_"] == 4 and n["lesson"] == 8 and n["class_"] == 2
    assert n["group_member"] == 16
    assert n["membership"] == len(people)
    assert 30 <= len(pupils) <= 45

    with Session(engine) as session:
        school_day = session.exec(select(SchoolClass)).first()
        assert school_day is not None
        tutor = _person(session, "SH2-S04")
        assert tutor.phone == "+77475550004"  # written "8 747 555 00 04" in the file
        channels = session.exec(
            select(ChannelIdentity.channel, ChannelIdentity.priority).where(
                ChannelIdentity.person_id == tutor.id
            )
        ).all()
        assert sorted(channels) == [("sms", 2), ("whatsapp", 1)]

        by_post = _person(session, "SH2-G04")
        assert by_post.by_post and by_post.postal_address
        post = session.exec(select(ChannelIdentity).where(ChannelIdentity.person_id == by_post.id)).all()
        assert [(i.channel, i.address, i.priority) for i in post] == [("post", by_post.postal_address, 3)]

        teacher = _person(session, "SH2-S02")
        klass = session.exec(select(SchoolClass).where(SchoolClass.name == "8А")).one()
        membership = session.exec(select(Membership).where(Membership.person_id == teacher.id)).one()
        assert (membership.role, membership.class_id) == ("class_teacher", klass.id)

        pupil = _person(session, "SH2-P01")
        membership = session.exec(select(Membership).where(Membership.person_id == pupil.id)).one()
        assert (membership.role, membership.class_id) == ("pupil", klass.id)
        assert pupil.low_income

        group = session.exec(select(TutoringGroup).where(TutoringGroup.code == "ALG-8")).one()
        assert group.tutor_id == tutor.id
        assert group.assistant_id == _person(session, "SH2-S07").id
        lesson = session.exec(select(Lesson).where(Lesson.group_id == group.id)).first()
        assert lesson is not None and lesson.minutes == 60 and lesson.link.startswith("https://")
        assert str(lesson.start_time) == "15:00:00"

    again = run(engine, SAMPLE_XLSX)
    assert again.ok and again.changed == 0
    assert again.invites == []
    assert counts(engine)["person"] == 87


def test_csv_and_xlsx_give_identical_stores(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_XLSX).ok
    from_xlsx = snapshot(engine)
    again = run(engine, SAMPLE_CSV)
    assert again.ok and again.changed == 0
    assert snapshot(engine) == from_xlsx

    other = make_engine(f"sqlite:///{tmp_path / 'from_csv.sqlite3'}")
    upgrade(other)
    try:
        assert run(other, SAMPLE_CSV).ok
        assert snapshot(other) == from_xlsx
    finally:
        other.dispose()


def test_csv_with_commas_and_no_bom_reads_the_same(engine: Engine, tmp_path: Path) -> None:
    path = Table().write(tmp_path / "roster.csv", delimiter=",")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert run(engine, path).ok
    assert run(engine, SAMPLE_XLSX).changed == 0


def test_dry_run_writes_nothing(engine: Engine) -> None:
    before = counts(engine)
    report = run(engine, SAMPLE_XLSX, dry_run=True)
    assert report.ok and report.dry_run
    assert report.count("person", "created") == 87  # what would happen
    assert report.invites == []
    assert counts(engine) == before
    assert "nothing written" in format_report(report, "en")[0]


def test_invites_are_issued_once_per_new_person(engine: Engine, tmp_path: Path) -> None:
    report = run(engine, SAMPLE_CSV)
    assert len(report.invites) == 87
    assert len({i.code for i in report.invites}) == 87
    assert {i.external_id for i in report.invites} == {
        r["id"] for r in Table().rows if r["sheet"] == "people"
    }
    roles = {i.external_id: i.role for i in report.invites}
    assert roles["SH2-P01"] == "pupil" and roles["SH2-G01"] == "guardian" and roles["SH2-S05"] == "tutor"
    with Session(engine) as session:
        stored = session.exec(select(Invite)).all()
        assert len(stored) == 87
        assert all(i.expires_at == NOW + TTL and i.used_at is None for i in stored)

    assert run(engine, SAMPLE_CSV).invites == []
    table = Table()
    table.append(
        sheet="people", id="SH2-P41", full_name="Нұрланова Айзере Ерланқызы", role="pupil", **{"class": "8А"}
    )
    table.append(sheet="guardians", guardian="SH2-G01", pupil="SH2-P41")
    report = run(engine, table.write(tmp_path / "roster.csv"))
    assert report.ok
    assert [(i.external_id, i.role) for i in report.invites] == [("SH2-P41", "pupil")]
    assert counts(engine)["invite"] == 88


def test_someone_already_seen_in_a_chat_gets_no_invite(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        session.add(
            ChannelIdentity(channel="whatsapp", address="+77015550099", last_inbound_at=NOW, person_id=None)
        )
        session.commit()
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = "8 701 555 00 99"
    report = run(engine, table.write(tmp_path / "roster.csv"))
    assert report.ok, format_report(report, "en")
    assert "SH2-G01" not in {i.external_id for i in report.invites}
    with Session(engine) as session:
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.address == "+77015550099")
        ).all()
        owner = _person(session, "SH2-G01")
        assert {i.person_id for i in identity} == {owner.id}


def test_an_audit_row_records_ids_and_counts_never_names_or_phones(engine: Engine) -> None:
    assert run(engine, SAMPLE_XLSX).ok
    assert run(engine, SAMPLE_XLSX, dry_run=True).ok
    with Session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "roster.import")).all()
        people = session.exec(select(Person)).all()
    assert len(rows) == 1  # the dry run wrote none
    detail = json.dumps(rows[0].detail, ensure_ascii=False)
    assert rows[0].detail["changes"]["person"]["created"] == 87
    assert rows[0].detail["invites"] == 87
    for person in people:
        assert person.full_name not in detail
        assert not person.phone or person.phone not in detail
        assert not person.postal_address or person.postal_address not in detail


def test_text_that_looks_like_sql_is_stored_verbatim_and_control_characters_are_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    table = Table()
    sneaky = "Robert'); DROP TABLE person;--"
    table.find("people", id="SH2-P01")["full_name"] = "\u202e" + sneaky + "\x07\u200b"
    table.find("people", id="SH2-G04")["postal_address"] = "Абай к-сі, 1'; DELETE FROM lesson; --"
    report = run(engine, table.write(tmp_path / "roster.csv"))
    assert report.ok, format_report(report, "en")
    with Session(engine) as session:
        assert _person(session, "SH2-P01").full_name == sneaky
        assert _person(session, "SH2-G04").postal_address == "Абай к-сі, 1'; DELETE FROM lesson; --"
    assert counts(engine)["person"] == 87 and counts(engine)["lesson"] == 8


def test_a_language_chosen_in_the_chat_wins_over_the_file(engine: Engine) -> None:
    assert run(engine, SAMPLE_XLSX).ok
    with Session(engine) as session:
        person = _person(session, "SH2-G01")
        assert person.locale == "kk"
        person.locale, person.locale_chosen = "ru", True
        session.add(person)
        session.commit()
    assert run(engine, SAMPLE_XLSX).changed == 0
    with Session(engine) as session:
        assert _person(session, "SH2-G01").locale == "ru"


@pytest.mark.parametrize("locale", ["kk", "ru", "en"])
def test_the_report_reads_in_every_language(engine: Engine, locale: str) -> None:
    lines = format_report(run(engine, SAMPLE_XLSX), locale)
    assert lines[0].startswith("sample_roster.xlsx")
    assert not any(key in line for line in lines for key in ("roster.report", "roster.kind"))
    assert any("87" in line for line in lines)


def test_the_committed_sample_files_are_what_the_script_writes(tmp_path: Path) -> None:
    make_sample_roster.main(tmp_path)
    assert (tmp_path / "sample_roster.xlsx").read_bytes() == SAMPLE_XLSX.read_bytes()
    assert (tmp_path / "sample_roster.csv").read_bytes() == SAMPLE_CSV.read_bytes()
