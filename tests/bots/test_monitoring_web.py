"""The dashboard over HTTP: sign-in with a code sent through the outbox, who may see what, exports,
the roster upload's dry run, and the audit trail."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import mount_web
from bots.web.auth import CHALLENGE_COOKIE, MAX_TRIES, SESSION_COOKIE, Auth
from bots.web.forms import FORM_COOKIE
from bots.web.sign_in_limits import LOCKOUTS, Refusal
from models.clock import utcnow
from models.dashboard import DashboardChallenge, DashboardSession
from models.enums import Role
from models.journal import AuditLog
from models.outbox import Notification
from models.people import Membership, Person
from models.school import SchoolClass
from roster import import_roster
from scheduler.retention import purge
from settings import Settings
from tests.roster.test_roster_scope import other_school
from tests.support.roster import TTL, Table, snapshot

pytestmark = pytest.mark.flow
ALMATY = ZoneInfo("Asia/Almaty")  # the default TZ_NAME
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"


@pytest.fixture
async def client(
    engine: Engine, settings: Settings
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    app = web.Application()
    mount_web(app, engine, settings, lambda: None)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _staff(engine: Engine, role: Role, class_name: str | None = None) -> Person:
    with Session(engine) as session:
        query = select(Person).join(Membership, col(Membership.person_id) == col(Person.id))
        query = query.where(Membership.role == role.value)
        if class_name:
            query = query.join(SchoolClass, col(SchoolClass.id) == col(Membership.class_id)).where(
                SchoolClass.name == class_name
            )
        person = session.exec(query).first()
        assert person is not None
        return person


def _last_code(engine: Engine, person_id: int) -> str:
    with Session(engine) as session:
        row = session.exec(
            select(Notification)
            .where(Notification.person_id == person_id, Notification.kind == "login.code")
            .order_by(col(Notification.id).desc())
        ).first()
        assert row is not None and row.urgent
        return str(row.params["code"])


async def form_token(client: TestClient[web.Request, web.Application]) -> str:
    """The form token the dashboard's pages give this browser (its cookie stays in the client's jar),
    as the pages' forms send it back."""
    page = await (await client.get("/dashboard/login")).text()
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def _sign_in(client: TestClient[web.Request, web.Application], engine: Engine, who: Person) -> str:
    """Sign `who` in; returns the browser's form token for the forms that follow."""
    token = await form_token(client)
    response = await client.post(
        "/dashboard/login", data={"who": who.phone or who.external_id, "form_token": token}
    )
    assert response.status == 200
    assert who.id is not None
    response = await client.post(
        "/dashboard/verify",
        data={"code": _last_code(engine, who.id), "form_token": token},
        allow_redirects=False,
    )
    assert response.status == 302 and response.headers["Location"] == "/dashboard"
    return token


async def test_the_dashboard_needs_a_code_sent_through_the_bot(
    client: TestClient[web.Request, web.Application], engine: Engine
) -> None:
    response = await client.get("/dashboard", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/dashboard/login"
    coordinator = _staff(engine, Role.COORDINATOR)
    token = await form_token(client)
    await client.post("/dashboard/login", data={"who": coordinator.external_id, "form_token": token})
    wrong = await client.post("/dashboard/verify", data={"code": "000000x", "form_token": token})
    assert wrong.status == 403
    assert coordinator.id is not None
    right = _last_code(engine, coordinator.id)
    await client.post("/dashboard/verify", data={"code": right, "form_token": token})
    page = await client.get("/dashboard?lang=ru")
    assert page.status == 200 and "Согласия" in await page.text()
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action).where(AuditLog.actor_id == coordinator.id)).all()
    assert {"dashboard.code_sent", "dashboard.sign_in"} <= set(actions)
    await client.post("/dashboard/logout", data={"form_token": token})
    response = await client.get("/dashboard", allow_redirects=False)
    assert response.status == 302


async def test_no_code_goes_to_someone_who_is_not_staff(
    client: TestClient[web.Request, web.Application], engine: Engine
) -> None:
    pupil = _staff(engine, Role.PUPIL)
    token = await form_token(client)
    for n, typed in enumerate((pupil.external_id, "+7 700 000 00 00", "nobody")):
        response = await client.post(
            "/dashboard/login",
            data={"who": typed, "form_token": token},
            headers={"X-Forwarded-For": f"10.0.0.{n}"},
        )
        assert response.status == 200  # the page does not tell who exists
    with Session(engine) as session:
        assert session.exec(select(Notification).where(Notification.kind == "login.code")).all() == []


def test_a_code_expires_after_ten_minutes_and_after_five_wrong_tries(engine: Engine) -> None:
    """Two `Auth`s on one store stand for two bot processes: tries and expiry are shared."""
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    coordinator = _staff(engine, Role.COORDINATOR)
    assert coordinator.id is not None
    one, two = Auth(engine), Auth(engine)
    with time_machine.travel(utcnow(), tick=False) as clock:
        token = one.request_code(coordinator.external_id)
        assert isinstance(token, str)
        clock.shift(timedelta(minutes=10, seconds=1))
        assert isinstance(two.verify(token, _last_code(engine, coordinator.id)), Refusal)
        token = one.request_code(coordinator.external_id)
        assert isinstance(token, str)
        for turn in range(MAX_TRIES):
            assert isinstance((one, two)[turn % 2].verify(token, "999999x"), Refusal)
        clock.shift(LOCKOUTS[0])  # five wrong codes lock the person out for a while
        assert isinstance(two.verify(token, _last_code(engine, coordinator.id)), Refusal)
        token = one.request_code(coordinator.external_id)
        assert isinstance(token, str)
        session_id = two.verify(token, _last_code(engine, coordinator.id))
        assert isinstance(session_id, str) and one.person_of(session_id) == coordinator.id
        assert isinstance(one.verify(token, _last_code(engine, coordinator.id)), Refusal)  # once
        clock.shift(timedelta(hours=8, seconds=1))
        assert two.person_of(session_id) is None
        assert one.person_of(session_id) is None


def test_sign_in_state_outlives_the_process_and_only_hashes_are_stored(engine: Engine) -> None:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    coordinator = _staff(engine, Role.COORDINATOR)
    assert coordinator.id is not None
    token = Auth(engine).request_code(coordinator.phone or "")
    assert isinstance(token, str)
    code = _last_code(engine, coordinator.id)
    session_id = Auth(engine).verify(token, code)  # a restarted process
    assert isinstance(session_id, str)
    assert Auth(engine).person_of(session_id) == coordinator.id
    with Session(engine) as session:
        stored = [
            *(c.model_dump_json() for c in session.exec(select(DashboardChallenge))),
            *(s.model_dump_json() for s in session.exec(select(DashboardSession))),
        ]
    assert stored and not any(secret in row for row in stored for secret in (token, session_id))
    Auth(engine).sign_out(session_id)
    assert Auth(engine).person_of(session_id) is None
    with Session(engine) as session:
        assert session.exec(select(DashboardSession)).all() == []
        actions = session.exec(select(AuditLog.action).where(AuditLog.actor_id == coordinator.id)).all()
    assert {"dashboard.sign_in", "dashboard.sign_out"} <= set(actions)


def test_expired_sign_ins_are_purged(engine: Engine, settings: Settings) -> None:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    coordinator = _staff(engine, Role.COORDINATOR)
    assert coordinator.id is not None
    auth = Auth(engine)
    with time_machine.travel(utcnow(), tick=False) as clock:
        auth.request_code("nobody", "10.0.0.1")
        token = auth.request_code(coordinator.external_id, "10.0.0.2")
        assert isinstance(token, str)
        auth.verify(token, _last_code(engine, coordinator.id))
        clock.shift(timedelta(minutes=11))
        auth.request_code("nobody", "10.0.0.1")  # asking for a code sweeps away the expired ones
        with Session(engine) as session:
            assert len(session.exec(select(DashboardChallenge)).all()) == 1
            assert len(session.exec(select(DashboardSession)).all()) == 1
        clock.shift(timedelta(hours=8))
        purge(engine, settings)  # the nightly retention job
        with Session(engine) as session:
            assert session.exec(select(DashboardChallenge)).all() == []
            assert session.exec(select(DashboardSession)).all() == []


async def test_a_code_sent_by_one_process_signs_in_through_another(
    client: TestClient[web.Request, web.Application], engine: Engine, settings: Settings
) -> None:
    other_app = web.Application()
    mount_web(other_app, engine, settings, lambda: None)
    coordinator = _staff(engine, Role.COORDINATOR)
    assert coordinator.id is not None
    async with TestClient(TestServer(other_app)) as other:
        form = await form_token(client)
        sent = await client.post(
            "/dashboard/login", data={"who": coordinator.external_id, "form_token": form}
        )
        token = sent.cookies[CHALLENGE_COOKIE].value
        verified = await other.post(
            "/dashboard/verify",
            data={"code": _last_code(engine, coordinator.id), "form_token": form},
            headers={"Cookie": f"{CHALLENGE_COOKIE}={token}; {FORM_COOKIE}={form}"},
            allow_redirects=False,
        )
        assert verified.status == 302 and verified.headers["Location"] == "/dashboard"
        session_cookie = f"{SESSION_COOKIE}={verified.cookies[SESSION_COOKIE].value}"
        signed = {"Cookie": f"{session_cookie}; {FORM_COOKIE}={form}"}
        for app_client in (client, other):
            page = await app_client.get("/dashboard", headers=signed, allow_redirects=False)
            assert page.status == 200
        await client.post(
            "/dashboard/logout", data={"form_token": form}, headers=signed, allow_redirects=False
        )
        for app_client in (client, other):
            page = await app_client.get("/dashboard", headers=signed, allow_redirects=False)
            assert page.status == 302 and page.headers["Location"] == "/dashboard/login"


async def test_a_class_teacher_sees_only_their_class(
    client: TestClient[web.Request, web.Application], engine: Engine
) -> None:
    teacher = _staff(engine, Role.CLASS_TEACHER, "8А")
    await _sign_in(client, engine, teacher)
    page = await (await client.get("/dashboard?table=consent")).text()
    assert "<td>8А</td>" in page and "<td>9Б</td>" not in page
    with Session(engine) as session:
        other = session.exec(
            select(Membership.person_id)
            .join(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
            .where(Membership.role == Role.PUPIL.value, SchoolClass.name == "9Б")
        ).first()
        own = session.exec(
            select(Membership.person_id)
            .join(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
            .where(Membership.role == Role.PUPIL.value, SchoolClass.name == "8А")
        ).first()
    assert (await client.get(f"/dashboard/pupil/{other}")).status == 404
    assert (await client.get(f"/dashboard/pupil/{own}")).status == 200
    assert (await client.get("/dashboard/roster")).status == 403  # the roster is the coordinator's


async def test_exports_are_spreadsheets_in_the_readers_language(
    client: TestClient[web.Request, web.Application], engine: Engine
) -> None:
    await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    response = await client.get("/dashboard/export/consent.xlsx?lang=en")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Class", "Pupil", "Consent", "Date") and len(rows) == 41
    exported = await client.get("/dashboard/export/grades.csv?lang=kk")
    assert re.search(r'ustaz-grades-\d{8}-\d{8}\.csv"$', exported.headers["Content-Disposition"])
    csv_text = (await exported.read()).decode("utf-8")
    assert csv_text.startswith("\ufeffСынып;Оқушы;Пән")  # Excel in Kazakh and Russian settings splits on ;
    assert (await client.get("/dashboard/export/people.xlsx")).status == 404


async def test_the_roster_upload_shows_its_dry_run_errors_as_a_table(
    client: TestClient[web.Request, web.Application], engine: Engine
) -> None:
    coordinator = _staff(engine, Role.COORDINATOR)
    token = await _sign_in(client, engine, coordinator)
    broken = SAMPLE.read_text(encoding="utf-8-sig").replace(";pupil;8А;", ";pupil;8Z;", 1)
    form = FormData({"form_token": token})
    form.add_field("file", broken.encode(), filename="roster.csv", content_type="text/csv")
    page = await (await client.post("/dashboard/roster?lang=en", data=form)).text()
    errors = re.findall(r"<tr><td>people</td><td>(\d+)</td><td>class</td><td>([^<]*)</td></tr>", page)
    assert len(errors) == 1 and "8Z" in errors[0][1]
    form = FormData({"form_token": token})
    form.add_field("file", SAMPLE.read_bytes(), filename="roster.csv", content_type="text/csv")
    page = await (await client.post("/dashboard/roster?lang=en", data=form)).text()
    assert "The file is correct. Nothing was changed yet" in page
    with Session(engine) as session:
        uploads = session.exec(
            select(AuditLog).where(AuditLog.action == "dashboard.roster_upload").order_by(col(AuditLog.id))
        ).all()
    assert [(u.actor_id, u.detail["dry_run"], u.detail["ok"]) for u in uploads] == [
        (coordinator.id, True, False),
        (coordinator.id, True, True),
    ]


async def test_a_coordinator_uploads_the_roster_of_their_own_school_only(
    client: TestClient[web.Request, web.Application], engine: Engine, tmp_path: Path
) -> None:
    theirs = other_school()
    assert import_roster(engine, theirs.write(tmp_path / "sh3.csv"), dry_run=False, invite_ttl=TTL).ok
    with Session(engine) as session:
        coordinator = session.exec(select(Person).where(Person.external_id == "SH2-S01")).one()
    token = await _sign_in(client, engine, coordinator)
    before = snapshot(engine)

    theirs.find("people", id="SH3-P01")["phone"] = "+7 701 000 00 01"
    form = FormData({"form_token": token})
    edited = theirs.write(tmp_path / "sh3-edited.csv").read_bytes()
    form.add_field("file", edited, filename="sh3.csv", content_type="text/csv")
    form.add_field("apply", "1")
    page = await (await client.post("/dashboard/roster?lang=en", data=form)).text()
    assert "The file was not applied" in page
    school_row = theirs.line("schools", code="SH3")
    assert re.search(
        rf"<tr><td>schools</td><td>{school_row}</td><td>code</td><td>[^<]*SH3[^<]*not one of yours", page
    )
    pupil_row = theirs.line("people", id="SH3-P01")
    assert f"<tr><td>people</td><td>{pupil_row}</td><td>id</td>" in page
    assert snapshot(engine) == before

    ours = Table()
    ours.find("people", id="SH2-G01")["phone"] = "+7 701 555 09 99"
    form = FormData({"form_token": token})
    form.add_field("file", ours.write(tmp_path / "sh2.csv").read_bytes(), filename="sh2.csv")
    form.add_field("apply", "1")
    page = await (await client.post("/dashboard/roster?lang=en", data=form)).text()
    assert "The roster was applied." in page
    with Session(engine) as session:
        parent = session.exec(select(Person).where(Person.external_id == "SH2-G01")).one()
        changed = session.exec(
            select(AuditLog).where(AuditLog.action == "roster.record", AuditLog.entity_id == parent.id)
        ).one()
    assert parent.phone == "+77015550999"
    assert changed.actor_id == coordinator.id and changed.detail["fields"]["phone"][1] == "+7701*****99"

    form = FormData({"form_token": token})  # the same file again: checked, and nothing written
    form.add_field("file", (tmp_path / "sh2.csv").read_bytes(), filename="sh2.csv")
    form.add_field("apply", "1")
    page = await (await client.post("/dashboard/roster?lang=en", data=form)).text()
    assert "nothing has changed the data since: nothing was written" in page
