"""Cross-site forms: a page of another site cannot make a signed-in coordinator's browser change
anything through the dashboard. Every state-changing form needs this browser's form token and, when
the browser names an origin, this site's; the sign-in's cookies are Secure when the public address is
https."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import mount_web
from models.enums import Role
from models.people import Invite, Person
from roster import import_roster
from settings import Settings
from tests.bots.test_monitoring_web import _last_code, _sign_in, _staff
from tests.support.roster import Table, snapshot

pytestmark = pytest.mark.flow
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
Client = TestClient[web.Request, web.Application]
EVIL = "https://evil.example"


@contextlib.asynccontextmanager
async def sample_school_dashboard(engine: Engine, settings: Settings) -> AsyncIterator[Client]:
    """The dashboard of the sample school's roster, for a test client."""
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    app = web.Application()
    mount_web(app, engine, settings, lambda: None)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def client(engine: Engine, settings: Settings) -> AsyncIterator[Client]:
    async with sample_school_dashboard(engine, settings) as test_client:
        yield test_client


def _upload(roster: bytes, token: str | None) -> FormData:
    form = FormData()
    if token is not None:
        form.add_field("form_token", token)
    form.add_field("file", roster, filename="roster.csv", content_type="text/csv")
    form.add_field("apply", "1")
    return form


def _parent_phone(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.exec(select(Person.phone).where(Person.external_id == "SH2-G01")).one()


async def test_a_roster_upload_with_apply_from_another_site_changes_nothing(
    client: Client, engine: Engine, tmp_path: Path
) -> None:
    token = await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    edited = Table()
    edited.find("people", id="SH2-G01")["phone"] = "+7 701 555 09 99"
    roster = edited.write(tmp_path / "edited.csv").read_bytes()
    before = snapshot(engine)
    attempts = [
        ({"Origin": EVIL}, None),  # the attacker's page cannot know the token
        ({"Origin": EVIL}, token),  # nor would a stolen token help from there
        ({"Origin": "null"}, token),  # a sandboxed frame
        ({"Referer": EVIL + "/page"}, token),  # an old browser that sends only Referer
        ({}, None),  # no origin said, no token
        ({}, "a-guessed-token"),
    ]
    for headers, sent in attempts:
        response = await client.post("/dashboard/roster?lang=en", data=_upload(roster, sent), headers=headers)
        assert response.status == 403, (headers, sent)
        assert "was sent from another site, so nothing was changed" in await response.text()
    assert snapshot(engine) == before and _parent_phone(engine) != "+77015550999"
    page = await client.post(
        "/dashboard/roster?lang=en",
        data=_upload(roster, token),
        headers={"Origin": str(client.make_url("")).rstrip("/")},
    )
    assert page.status == 200 and "The roster was applied." in await page.text()
    assert _parent_phone(engine) == "+77015550999"


async def test_every_post_under_the_dashboard_needs_the_token(client: Client, engine: Engine) -> None:
    await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    paths = {
        route.resource.canonical
        for route in client.app.router.routes()
        if route.method == "POST" and route.resource is not None
        if route.resource.canonical.startswith("/dashboard")
    }
    assert paths == {
        "/dashboard/login",
        "/dashboard/verify",
        "/dashboard/logout",
        "/dashboard/roster",
        "/dashboard/invites/{person_id}/reissue",
        "/dashboard/plan/cancel",
        "/dashboard/plan/substitute",
        "/dashboard/plan/substitute/{row_id}/end",
        "/dashboard/remind",
        "/dashboard/pupil/{pupil_id}/paper",
        "/dashboard/delivery/rounds/{round_id}/items/{item_id}",
    }
    for path in sorted(paths):
        response = await client.post(path, data={"who": "x", "code": "1"}, allow_redirects=False)
        assert response.status == 403, path
    assert (await client.get("/dashboard", allow_redirects=False)).status == 200  # still signed in


@pytest.mark.parametrize(("public", "secure"), [("https://ustaz.example.kz", True), ("", False)])
async def test_the_sign_in_cookies_are_secure_when_the_public_address_is_https(
    engine: Engine, settings: Settings, public: str, secure: bool
) -> None:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    app = web.Application()
    mount_web(app, engine, settings.model_copy(update={"public_base_url": public}), lambda: None)
    coordinator = _staff(engine, Role.COORDINATOR)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/dashboard/login")
        cookies = [page.cookies["ustaz_form"]]
        token = (await page.text()).split('name="form_token" value="', 1)[1].split('"', 1)[0]
        headers = {"Cookie": f"ustaz_form={token}"}  # a test client over http keeps no Secure cookie
        sent = await client.post(
            "/dashboard/login", data={"who": coordinator.external_id, "form_token": token}, headers=headers
        )
        cookies.append(sent.cookies["ustaz_challenge"])
        assert coordinator.id is not None
        challenge = sent.cookies["ustaz_challenge"].value
        signed = await client.post(
            "/dashboard/verify",
            data={"code": _last_code(engine, coordinator.id), "form_token": token},
            headers={"Cookie": f"ustaz_form={token}; ustaz_challenge={challenge}"},
            allow_redirects=False,
        )
        assert signed.status == 302
        cookies.append(signed.cookies["ustaz_session"])
    assert all(bool(cookie["secure"]) is secure for cookie in cookies)
    assert all(cookie["httponly"] for cookie in cookies)


async def test_a_new_invite_code_from_the_invites_page_carries_its_token(
    client: Client, engine: Engine
) -> None:
    """The invites page's "new code" form works from the page itself (its form token is in it), the
    person's old code stops working, and the class's printable sheet is a PDF."""
    await _sign_in(client, engine, _staff(engine, Role.COORDINATOR))
    listing = await client.get("/dashboard/invites?lang=en")
    assert listing.status == 200
    html = await listing.text()
    form = re.search(
        r'action="/dashboard/invites/(\d+)/reissue"><input type="hidden" name="form_token" value="([^"]+)"',
        html,
    )
    assert form is not None, "every reissue form carries the page's token"
    person_id, token = int(form.group(1)), form.group(2)
    with Session(engine) as session:
        before = session.exec(
            select(Invite.code).where(Invite.person_id == person_id, col(Invite.revoked_at).is_(None))
        ).all()
    response = await client.post(
        f"/dashboard/invites/{person_id}/reissue",
        data={"form_token": token, "page": "1"},
        allow_redirects=False,
    )
    assert response.status == 302 and f"issued={person_id}" in response.headers["Location"]
    with Session(engine) as session:
        live = session.exec(
            select(Invite.code).where(Invite.person_id == person_id, col(Invite.revoked_at).is_(None))
        ).all()
    assert len(live) == 1 and live[0] not in before
    sheet = re.search(r'href="/dashboard/invites/(\d+)\.pdf', html)
    assert sheet is not None
    pdf = await client.get(f"/dashboard/invites/{sheet.group(1)}.pdf")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
