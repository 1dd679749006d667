"""A coordinator records a parent's signed paper application from the dashboard, in a real browser:
signs in with the code the bot sends, opens the pupil's page, fills in the form with a photo of the
paper, and saves it twice over with a double click; one decision is kept and the page repeats what
was recorded."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models.journal import AuditLog
from models.people import Consent, Person
from models.store import make_engine
from tests.browser.conftest import RunningSandbox
from tests.browser.test_walkthrough import WAIT, Phone, cast_of, coordinator_signed_in, photo

pytestmark = pytest.mark.browser


def paper_decisions(sandbox: RunningSandbox, pupil: int) -> list[tuple[Consent, AuditLog | None]]:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        with Session(engine) as session:
            found = session.exec(
                select(Consent).where(Consent.pupil_id == pupil, Consent.channel == "paper")
            ).all()
            return [
                (
                    decision,
                    session.exec(
                        select(AuditLog).where(
                            AuditLog.entity == "consent", AuditLog.entity_id == decision.id
                        )
                    ).first(),
                )
                for decision in found
            ]
    finally:
        engine.dispose()


def coordinator_id(sandbox: RunningSandbox, external_id: str) -> int:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        with Session(engine) as session:
            found = session.exec(select(Person.id).where(Person.external_id == external_id)).one()
            assert found is not None
            return found
    finally:
        engine.dispose()


def test_a_paper_application_recorded_from_the_dashboard(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    dashboard = coordinator_signed_in(sandbox, context, Phone(page), cast.coordinator)

    dashboard.goto(f"{sandbox.url}/dashboard/pupil/{cast.pupil}?lang=en")
    dashboard.click("#paper-link")
    dashboard.wait_for_url(re.compile(rf"/dashboard/pupil/{cast.pupil}/paper"))
    signed = date.today() - timedelta(days=1)
    dashboard.check(f"input[name=guardian][value='{cast.parent}']")
    dashboard.check("input[name=kind][value=given]")
    dashboard.fill("input[name=signed_on]", signed.isoformat())
    dashboard.set_input_files("input[name=photo]", str(photo(tmp_path)))
    dashboard.dblclick("form.paper button[type=submit]")
    saved = dashboard.locator("#paper-saved")
    saved.wait_for(timeout=WAIT)
    assert "gave consent" in saved.inner_text() and signed.strftime("%d.%m.%Y") in saved.inner_text()
    assert "has consent" in dashboard.inner_text("#paper-now")

    [(decision, audit)] = paper_decisions(sandbox, cast.pupil)
    assert decision.given and decision.guardian_id == cast.parent
    assert decision.recorded_by_id == coordinator_id(sandbox, cast.coordinator)
    assert audit is not None and audit.actor_id == decision.recorded_by_id
    assert audit.detail["where"] == "dashboard"
    context.close()
