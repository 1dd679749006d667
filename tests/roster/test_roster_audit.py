"""The roster's audit answers "who changed this parent's phone, and when": each record of the store an
import changes gets its own audit row naming the record and what changed — numbers masked, names and
addresses only "changed" — with the uploader and the time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditLog, Person
from models.phones import masked
from roster import import_roster
from tests.support.roster import NOW, SAMPLE_CSV, TTL, Table, run

pytestmark = pytest.mark.store


def _person(engine: Engine, external_id: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.external_id == external_id)).one()


def test_a_phone_change_names_the_parent_the_uploader_and_the_masked_numbers(
    engine: Engine, tmp_path: Path
) -> None:
    assert run(engine, SAMPLE_CSV).ok
    parent, coordinator = _person(engine, "SH2-G01"), _person(engine, "SH2-S01")
    old_phone = parent.phone
    assert old_phone is not None
    table = Table()
    table.find("people", id="SH2-G01")["phone"] = "+7 701 555 09 99"
    table.find("people", id="SH2-P01")["full_name"] = "Ахметов Әлихан Ерланұлы"
    path = table.write(tmp_path / "edited.csv")
    report = import_roster(engine, path, dry_run=False, invite_ttl=TTL, now=NOW, actor_id=coordinator.id)
    assert report.ok
    with Session(engine) as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.action == "roster.record").order_by(col(AuditLog.id))
        ).all()
    person_rows = [r for r in rows if r.entity == "person" and r.entity_id == parent.id]
    assert [(r.actor_id, r.at, r.detail) for r in person_rows] == [
        (coordinator.id, NOW, {"change": "updated", "fields": {"phone": [masked(old_phone), "+7701*****99"]}})
    ]
    channels = {
        (r.detail["change"], r.detail["fields"]["channel"], r.detail["fields"]["address"])
        for r in rows
        if r.entity == "channel_identity"
    }
    assert channels == {
        ("removed", "whatsapp", masked(old_phone)),
        ("removed", "sms", masked(old_phone)),
        ("created", "whatsapp", "+7701*****99"),
        ("created", "sms", "+7701*****99"),
    }
    pupil = _person(engine, "SH2-P01")
    [renamed] = [r for r in rows if r.entity == "person" and r.entity_id == pupil.id]
    assert renamed.detail["fields"] == {"full_name": "changed"}
    text = json.dumps([r.detail for r in rows], ensure_ascii=False)
    for secret in (old_phone, "+77015550999", "Әлихан", "Алихан"):
        assert secret not in text


def test_an_import_that_changes_nothing_writes_no_record_rows(engine: Engine) -> None:
    assert run(engine, SAMPLE_CSV).ok
    assert run(engine, SAMPLE_CSV).ok
    with Session(engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "roster.record")).all() == []
