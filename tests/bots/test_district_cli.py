"""`ustaz district`: schools placed in a district, a district's or a region's coordinator granted
and revoked, and what they may then read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bots.cli import main as ustaz
from models.district import DistrictCoordinator
from models.invites import Invite
from models.journal import AuditLog
from models.people import Person
from models.school import School
from monitoring import scope_of
from roster import import_roster
from settings import Settings, get_settings
from tests.roster.test_roster_scope import other_school
from tests.support.roster import TTL

pytestmark = pytest.mark.store
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
REGION, DISTRICT = "Ақмола облысы", "Шортанды ауданы"


def run(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.db_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as done:
            ustaz([*argv, "--lang", "en"])
    finally:
        get_settings.cache_clear()
    return int(done.value.code or 0)


def test_a_district_coordinator_is_declared_and_reads_the_district_schools_only(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    assert import_roster(engine, other_school().write(tmp_path / "sh3.csv"), dry_run=False, invite_ttl=TTL).ok
    place = ("district", "place", "--region", REGION, "--district", DISTRICT)
    assert run(monkeypatch, settings, *place, "SH2", "SH9") == 1
    assert "SH9" in capsys.readouterr().out
    assert run(monkeypatch, settings, *place, "SH2") == 0
    grant = ("district", "grant", "--region", REGION, "--district", DISTRICT)
    assert run(monkeypatch, settings, *grant, "--person", "+7 701 000 99 99") == 1  # nobody, and no name
    assert run(monkeypatch, settings, *grant, "--person", "+7 701 000 99 99", "--name", "Аудан маманы") == 0
    said = capsys.readouterr().out
    with Session(engine) as session:
        official = session.exec(select(Person).where(Person.phone == "+77010009999")).one()
        code = session.exec(select(Invite.code).where(Invite.person_id == official.id)).one()
        assert (
            code in said
            and "Аудан маманы now reads the monitoring of Ақмола облысы — Шортанды ауданы" in said
        )
        scope = scope_of(session, official.id or 0)
        sh2 = session.exec(select(School.id).where(School.code == "SH2")).one()
    assert scope is not None and scope.level == "district" and scope.school_ids == {sh2} and not scope.reminds
    region = ("district", "grant", "--region", REGION, "--person", "+77010009999")
    assert run(monkeypatch, settings, *region) == 0  # the whole region: SH3 has none, so still SH2 only
    assert run(monkeypatch, settings, "district", "list") == 0
    assert capsys.readouterr().out.count("Аудан маманы") == 3
    revoke = ("district", "revoke", "--region", REGION, "--district", DISTRICT, "--person", "+77010009999")
    assert run(monkeypatch, settings, *revoke) == 0
    assert run(monkeypatch, settings, *revoke) == 1
    with Session(engine) as session:
        left = session.exec(select(DistrictCoordinator.district)).all()
        actions = [
            a.action for a in session.exec(select(AuditLog).where(AuditLog.action.startswith("district.")))
        ]  # type: ignore[attr-defined]
    assert left == [""] and actions.count("district.grant") == 2 and "district.revoke" in actions
