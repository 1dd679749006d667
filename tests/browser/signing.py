"""The school coordinator signed in to the dashboard with the code the bot sends to their chat in
the sandbox page, the school year so far written into the sandbox's store."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.store import make_engine
from sandbox.term import fill_term
from tests.browser.conftest import RunningSandbox
from tests.browser.test_walkthrough import Phone, cast_of


def school_year(sandbox: RunningSandbox) -> None:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        fill_term(engine, datetime.now(ZoneInfo("Asia/Almaty")).date())
    finally:
        engine.dispose()


def coordinator_dashboard(sandbox: RunningSandbox, browser: Any, language: str = "en") -> tuple[Any, Any]:
    """(the browser context, the dashboard's page on the overview), the coordinator signed in."""
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    phone = Phone(page)
    phone.open(int(page.locator(".person[data-role=coordinator]").first.get_attribute("data-person")))
    phone.bot_said(".")
    dashboard = context.new_page()
    dashboard.goto(sandbox.url + f"/dashboard/login?lang={language}")
    dashboard.fill("#who", cast.coordinator)
    dashboard.click("button[type=submit]")
    code = re.search(r"\b(\d{6})\b", phone.bot_said(r"\d{6}"))
    assert code is not None
    dashboard.fill("#code", code.group(1))
    dashboard.click("button[type=submit]")
    dashboard.wait_for_url(re.compile(r"/dashboard$"))
    return context, dashboard
