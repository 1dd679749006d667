"""The school coordinator signed in to the dashboard with the code the bot sends to their chat in
the sandbox page, the school year so far written into the sandbox's store."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.store import make_engine
from sandbox.term import fill_term
from tests.browser.conftest import RunningSandbox
from tests.browser.test_walkthrough import Phone, cast_of, coordinator_signed_in


def school_year(sandbox: RunningSandbox) -> None:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        fill_term(engine, datetime.now(ZoneInfo("Asia/Almaty")).date())
    finally:
        engine.dispose()


def coordinator_dashboard(sandbox: RunningSandbox, browser: Any) -> tuple[Any, Any]:
    """(the browser context, the dashboard's page on the overview), the coordinator signed in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    return context, coordinator_signed_in(sandbox, context, Phone(page), cast_of(sandbox).coordinator)
