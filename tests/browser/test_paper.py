"""A coordinator records a parent's signed paper application from the dashboard, in a real browser,
in Russian: signs in with the code the bot sends, opens the pupil's page, chooses a photo of the
paper with the page's own «Выбрать фото», leaves what the paper says unchosen and types the day of
signing in the browser's own order (each answered in Russian next to its field, what was typed and
the photo kept), then chooses the kind, types dd.mm.yyyy and saves it twice over with a double
click, without choosing the photo again; one decision is kept and the page repeats what was
recorded. On the plan page, in Kazakh, the days of a quarantine week are typed the same
way. The browser itself is an English one, whose own date field would want mm/dd/yyyy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from locales import translate
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


def test_a_paper_application_and_the_plans_days_typed_in_the_pages_language(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    dashboard = coordinator_signed_in(sandbox, context, Phone(page), cast.coordinator)

    dashboard.goto(f"{sandbox.url}/dashboard/pupil/{cast.pupil}?lang=ru")
    dashboard.click("#paper-link")
    dashboard.wait_for_url(re.compile(rf"/dashboard/pupil/{cast.pupil}/paper"))
    signed = date.today() - timedelta(days=1)
    field = dashboard.locator("input[name=signed_on]")
    assert field.get_attribute("type") == "text" and field.get_attribute("placeholder") == "дд.мм.гггг"
    # Nothing the browser checks itself (it would answer in English): the page's own answers only.
    assert dashboard.locator("form.paper[novalidate] [required]").count() == 0
    choose = dashboard.locator("label[for=paper-photo]")
    assert choose.is_visible() and choose.inner_text() == translate("ru", "web.paper.photo_choose")
    chosen_name = dashboard.locator("#paper-photo-name")
    assert chosen_name.inner_text() == translate("ru", "web.paper.photo_none")
    dashboard.check(f"input[name=guardian][value='{cast.parent}']")
    # What the paper says is left unchosen, and the day typed in the browser's own order.
    us_order = signed.strftime("%m/%d/%Y")
    field.fill(us_order)
    dashboard.set_input_files("input[name=photo]", str(photo(tmp_path)))
    assert chosen_name.inner_text() == "page.jpg"  # the page names the file chosen
    dashboard.click("form.paper button[type=submit]")
    problem = dashboard.locator("#paper-problem")
    problem.wait_for(timeout=WAIT)
    assert problem.inner_text() == translate("ru", "web.paper.not_saved")
    assert dashboard.locator("#paper-problem-kind").inner_text() == translate("ru", "web.paper.choose_kind")
    assert dashboard.locator("#paper-problem-date").inner_text() == translate("ru", "web.paper.date_invalid")
    assert dashboard.locator("#paper-problem-guardian").count() == 0
    # What was typed and chosen is kept, the photo too: it need not be chosen again.
    assert dashboard.input_value("input[name=signed_on]") == us_order
    assert dashboard.is_checked(f"input[name=guardian][value='{cast.parent}']")
    assert chosen_name.inner_text() == translate("ru", "web.paper.photo_kept")
    assert choose.inner_text() == translate("ru", "web.paper.photo_choose_other")
    dashboard.locator("main").screenshot(path=str(tmp_path / "paper-ru.png"))
    assert paper_decisions(sandbox, cast.pupil) == []
    dashboard.check("input[name=kind][value=given]")
    dashboard.fill("input[name=signed_on]", signed.strftime("%d.%m.%Y"))
    dashboard.dblclick("form.paper button[type=submit]")
    saved = dashboard.locator("#paper-saved")
    saved.wait_for(timeout=WAIT)
    assert saved.inner_text().startswith(
        translate("ru", "web.paper.saved_given", pupil="", guardian="", date="")[:10]
    )
    assert signed.strftime("%d.%m.%Y") in saved.inner_text()

    [(decision, audit)] = paper_decisions(sandbox, cast.pupil)
    assert decision.given and decision.guardian_id == cast.parent
    assert decision.recorded_by_id == coordinator_id(sandbox, cast.coordinator)
    assert audit is not None and audit.actor_id == decision.recorded_by_id
    assert audit.detail["where"] == "dashboard"

    # The plan's days, in Kazakh, typed the same way whatever the browser's own order.
    dashboard.goto(sandbox.url + "/dashboard/plan?lang=kk")
    form = dashboard.locator("form[action='/dashboard/plan/cancel']").first
    first, last = form.locator("input[name=first]"), form.locator("input[name=last]")
    assert first.get_attribute("placeholder") == translate("kk", "overview.period.date_format")
    week = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)  # next Monday
    friday = week + timedelta(days=4)
    first.fill(week.strftime("%m/%d/%Y"))  # as an English browser's own date field would write it
    last.fill(friday.strftime("%d.%m.%Y"))
    form.locator("input[name=reason]").fill("Карантин")
    form.locator("button[type=submit]").click()
    refused = dashboard.locator("p.error[role=alert]")
    refused.wait_for(timeout=WAIT)
    assert refused.inner_text() == translate("kk", "web.plan.date_invalid")
    form = dashboard.locator("form[action='/dashboard/plan/cancel']").first
    assert form.locator("input[name=first]").input_value() == week.strftime("%m/%d/%Y")
    assert form.locator("input[name=last]").input_value() == friday.strftime("%d.%m.%Y")
    assert form.locator("input[name=reason]").input_value() == "Карантин"
    form.screenshot(path=str(tmp_path / "plan-kk.png"))
    form.locator("input[name=first]").fill(week.strftime("%d.%m.%Y"))
    form.locator("button[type=submit]").click()
    done = dashboard.locator("p.ok[role=status]")
    done.wait_for(timeout=WAIT)
    span = f"{week:%d.%m.%Y}–{friday:%d.%m.%Y}"
    assert span in done.inner_text()
    context.close()
