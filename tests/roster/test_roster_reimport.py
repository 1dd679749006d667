"""A file imported again unchanged writes nothing but its audit row; whatever changed the store in
between (an erasure, a phone edited, a migration, a new release of the importer) sends it through the
row-by-row comparison again. The very same bytes are not read again: their findings are remembered."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlmodel import Session, select

from handlers.privacy import erase
from locales import N, T
from models import AuditLog, Consent, GroupMember, Person, RosterMemory
from roster import ImportReport, format_report, import_roster
from roster.importer import AUDIT_ACTION
from roster.memory import remember_file, remembered_notes
from roster.report import RowError
from tests.roster.test_roster_scope import other_school
from tests.support.roster import NOW, SAMPLE_CSV, TTL, Table, run, snapshot
from tests.support.statements import read, written

pytestmark = pytest.mark.store


def _person(session: Session, external_id: str) -> Person:
    return session.exec(select(Person).where(Person.external_id == external_id)).one()


def test_an_unchanged_file_writes_only_its_audit_row(engine: Engine) -> None:
    assert run(engine, SAMPLE_CSV).ok
    before = snapshot(engine)
    with written(engine) as rows:
        again = run(engine, SAMPLE_CSV)
    assert again.ok and again.unchanged and again.changed == 0
    assert rows == {"audit_log": 1}
    assert again.count("person", "unchanged") > 0 and again.count("lesson", "unchanged") > 0
    assert snapshot(engine) == before
    assert "nothing has changed" in format_report(again, "en")[0]
    assert "ештеңе жазылмады" in format_report(again, "kk")[0]
    with Session(engine) as session:
        audit = session.exec(
            select(AuditLog).where(AuditLog.action == AUDIT_ACTION).order_by(AuditLog.id)
        ).all()
    assert len(audit) == 2 and audit[-1].detail["nothing_changed"] is True
    assert audit[-1].detail["school_ids"] == audit[0].detail["school_ids"]

    with written(engine) as rows:
        checked = run(engine, SAMPLE_CSV, dry_run=True)
    assert checked.unchanged and rows == {}


def test_the_checks_still_run_on_an_unchanged_file(engine: Engine, tmp_path: Path) -> None:
    """The landline note comes back each time, and a file with an error is refused as before."""
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = "8 727 250 00 00"  # a city landline
    landline = table.write(tmp_path / "landline.csv")
    first = run(engine, landline)
    again = run(engine, landline)
    assert again.unchanged and len(again.notes) == len(first.notes) >= 1
    table.find("people", id="SH2-G01")["phone"] = "not a phone"
    refused = run(engine, table.write(tmp_path / "bad.csv"))
    assert not refused.ok and not refused.unchanged


def test_one_changed_row_writes_that_row(engine: Engine, tmp_path: Path) -> None:
    assert run(engine, SAMPLE_CSV).ok
    table = Table()
    table.find("people", id="SH2-P15")["full_name"] = "Жаңа Есім"
    with written(engine) as rows:
        report = run(engine, table.write(tmp_path / "renamed.csv"))
    assert report.ok and not report.unchanged
    assert report.changed == 1 and report.count("person", "updated") == 1
    # the person, the audit rows (the import's and the person's: one statement on PostgreSQL), and
    # what the importer remembers
    assert set(rows) == {"person", "audit_log", "roster_store_version", "roster_memory"}
    assert rows["person"] == 1 and rows["roster_memory"] == 1
    with Session(engine) as session:
        assert _person(session, "SH2-P15").full_name == "Жаңа Есім"
    with written(engine) as rows:
        assert run(engine, tmp_path / "renamed.csv").unchanged
    assert rows == {"audit_log": 1}


def test_an_erased_pupil_comes_back_from_the_file(engine: Engine, tmp_path: Path) -> None:
    """The file names the pupil still: compared with the store, as a first import would be."""
    assert run(engine, SAMPLE_CSV).ok
    before = snapshot(engine)
    with Session(engine) as session:
        erase(session, _person(session, "SH2-P15").id or 0, tmp_path)
        session.commit()
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged
    assert report.count("person", "created") == 1 and report.count("membership", "created") == 1
    after = snapshot(engine)
    assert [p for p in after["people"] if p[0] == "SH2-P15"] == [
        p for p in before["people"] if p[0] == "SH2-P15"
    ]
    for kind in ("memberships", "guardianships", "members", "identities"):
        assert after[kind] == before[kind], kind
    assert run(engine, SAMPLE_CSV).unchanged


def test_consent_recorded_in_between_is_kept(engine: Engine) -> None:
    """Consent is not the roster's: the file is still unchanged, and the decision stays."""
    assert run(engine, SAMPLE_CSV).ok
    with Session(engine) as session:
        guardian, pupil = _person(session, "SH2-G01"), _person(session, "SH2-P01")
        session.add(
            Consent(
                guardian_id=guardian.id or 0,
                pupil_id=pupil.id or 0,
                text_version="v1",
                given=True,
                channel="paper",
            )
        )
        session.commit()
    assert run(engine, SAMPLE_CSV).unchanged
    with Session(engine) as session:
        assert len(session.exec(select(Consent)).all()) == 1


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_a_phone_changed_by_other_means_is_set_back(engine: Engine, how: str) -> None:
    """An edit through the models (as a page would) or a hand-typed statement: the file wins again,
    as it does when compared row by row."""
    assert run(engine, SAMPLE_CSV).ok
    with Session(engine) as session:
        parent = _person(session, "SH2-G01")
        filed = parent.phone
        if how == "orm":
            parent.phone = "+77015550999"
            session.add(parent)
        else:
            session.execute(
                text("UPDATE person SET phone = '+77015550999' WHERE id = :id"), {"id": parent.id}
            )
        session.commit()
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged and report.count("person", "updated") == 1
    with Session(engine) as session:
        assert _person(session, "SH2-G01").phone == filed


def test_a_group_member_removed_by_other_means_comes_back(engine: Engine) -> None:
    assert run(engine, SAMPLE_CSV).ok
    before = snapshot(engine)
    with Session(engine) as session:
        member = session.exec(select(GroupMember)).first()
        assert member is not None
        session.delete(member)
        session.commit()
    report = run(engine, SAMPLE_CSV)
    assert not report.unchanged and report.count("group_member", "created") == 1
    assert snapshot(engine) == before


def test_a_telegram_chat_joining_does_not_count(engine: Engine) -> None:
    """A new chat's identity is the bot's, not the roster's: the file stays unchanged."""
    assert run(engine, SAMPLE_CSV).ok
    with Session(engine) as session:
        session.execute(text("INSERT INTO channel_identity (channel, address, priority, created_at) "
                             "VALUES ('telegram', '555001', 0, CURRENT_TIMESTAMP)"))  # fmt: skip
        session.commit()
    assert run(engine, SAMPLE_CSV).unchanged


def _as_if_remembered_by(engine: Engine, **then: str) -> None:
    with Session(engine) as session:
        session.execute(update(RosterMemory).values(**then))
        session.commit()


@pytest.mark.parametrize("then", [{"revision": "0015_programme"}, {"code": "an earlier release"}])
def test_another_schema_or_release_compares_again(engine: Engine, then: dict[str, str]) -> None:
    """A migration, or a new release of the importer, may check or write what the last did not: the
    same bytes are read, checked and compared with the store again."""
    assert run(engine, SAMPLE_CSV).ok
    _as_if_remembered_by(engine, **then)
    report = run(engine, SAMPLE_CSV)
    assert report.ok and not report.unchanged and report.changed == 0
    with written(engine) as rows:
        assert run(engine, SAMPLE_CSV).unchanged
    assert rows == {"audit_log": 1}


def limited(engine: Engine, path: Path, schools: set[str]) -> ImportReport:
    return import_roster(
        engine, path, dry_run=False, invite_ttl=TTL, now=NOW, only_schools=frozenset(schools)
    )


def _findings(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("note:")]


def test_the_same_bytes_report_the_findings_a_full_check_reports(engine: Engine, tmp_path: Path) -> None:
    """Remembered findings against the same file's findings checked again (another file of the same
    roster: a blank line more), in every language; under the name the file is uploaded with now."""
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = "8 727 250 00 00"  # a landline
    for _ in range(2):
        table.remove("lessons", group="ALG-8")  # a group without lessons yet
    assert table.find("programmes")["low_income_only"] == "yes"
    table.find("people", id="SH2-P01")["low_income"] = ""  # a pupil not marked low-income
    path = table.write(tmp_path / "notes.csv")
    first = run(engine, path)
    assert first.ok
    keys = {"roster.note.landline", "roster.note.no_lessons", "roster.note.not_low_income"}
    assert {note.reason.key for note in first.notes} == keys

    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    with written(engine) as rows, read(engine) as tables:
        remembered = run(engine, copy)
    assert remembered.unchanged and rows == {"audit_log": 1}
    assert tables == {"roster_memory", "roster_store_version", "alembic_version"}  # not even the phones
    assert all(note.file == "copy.csv" for note in remembered.notes)

    blank = tmp_path / "copy.csv"  # the same name: the same findings, to the letter
    blank.write_bytes(path.read_bytes() + b";;;\r\n")
    with written(engine) as rows:
        checked = run(engine, blank)
    assert checked.unchanged and rows == {"audit_log": 1, "roster_memory": 1}
    for language in ("kk", "ru", "en"):
        assert _findings(format_report(remembered, language)) == _findings(format_report(checked, language))
        assert _findings(format_report(remembered, language)) == _findings(format_report(first, language))
    assert remembered.notes == checked.notes

    with written(engine) as rows:  # the blank line's bytes are now the remembered ones
        assert run(engine, blank).unchanged
    assert rows == {"audit_log": 1}


def test_an_upload_limited_to_other_schools_is_checked_in_full(engine: Engine) -> None:
    """Whether a file reaches beyond the uploader's schools depends on the uploader, not the bytes."""
    assert run(engine, SAMPLE_CSV).ok
    with written(engine) as rows:
        kept = limited(engine, SAMPLE_CSV, {"SH2", "SH9"})
    assert kept.ok and kept.unchanged and rows == {"audit_log": 1}
    other = limited(engine, SAMPLE_CSV, {"SH9"})
    assert not other.ok and not other.unchanged
    assert "roster.error.school_not_yours" in {e.reason.key for e in other.errors}


def test_a_limited_upload_of_the_same_bytes_answers_as_a_full_check(engine: Engine, tmp_path: Path) -> None:
    """A file naming another school's tutor and pupil is refused to the coordinator of its own school;
    applied from the command line, they hold a role in it too, and the coordinator's upload of the same
    bytes is accepted, remembered or checked again."""
    sh3 = other_school()
    assert run(engine, sh3.write(tmp_path / "sh3.csv")).ok
    table = Table()
    table.append(**{**sh3.find("people", id="SH3-S04"), "school": ""})
    table.append(**{**sh3.find("people", id="SH3-P01"), "school": "SH2", "class": "8А", "phone": ""})
    path = table.write(tmp_path / "sh2.csv")
    refused = limited(engine, path, {"SH2"})
    assert {e.reason.key for e in refused.errors} == {"roster.error.person_of_other_school"}
    assert len(refused.errors) == 2
    assert run(engine, path).ok
    with written(engine) as rows, read(engine) as tables:
        remembered = limited(engine, path, {"SH2"})
    assert remembered.ok and remembered.unchanged and rows == {"audit_log": 1}
    assert tables == {"roster_memory", "roster_store_version", "alembic_version", "school"}
    _as_if_remembered_by(engine, code="an earlier release")
    checked = limited(engine, path, {"SH2"})
    assert checked.ok and not checked.unchanged and checked.changed == 0


def test_a_finding_is_remembered_as_it_was_found(engine: Engine) -> None:
    """A reason's nested messages and plural forms come back from the store's JSON as they went in."""
    reason = T("roster.error.lesson_length", group="ALG-8", length=N("common.minutes", "minutes", minutes=45),
               min=N("common.minutes", "minutes", minutes=60), day=T("weekday.0"), share=0.5)  # fmt: skip
    note = RowError("a.csv", "lessons", 7, "minutes", reason)
    with Session(engine) as session:
        memory = RosterMemory(scope="s", digest="d", version=0, revision="r")
        remember_file(session, memory, "f", [note])
        session.commit()
    with Session(engine) as session:
        stored = session.get(RosterMemory, "s")
        assert stored is not None
        assert remembered_notes(stored, "b.csv") == [RowError("b.csv", "lessons", 7, "minutes", reason)]
