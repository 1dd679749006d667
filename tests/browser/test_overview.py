"""The overview in a real browser: the coordinator signs in with a code the bot sends, sees the
sample school's year so far at a glance, the problems families reported, chooses another period,
and downloads reports."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from models.store import make_engine
from sandbox.term import fill_term
from tests.browser.conftest import RunningSandbox
from tests.browser.test_walkthrough import WAIT, Phone, cast_of

pytestmark = pytest.mark.browser


def test_the_coordinator_opens_the_overview_filters_a_period_and_downloads_reports(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        fill_term(engine, datetime.now(ZoneInfo("Asia/Almaty")).date())
    finally:
        engine.dispose()
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    phone = Phone(page)
    phone.open(int(page.locator(".person[data-role=coordinator]").first.get_attribute("data-person")))
    phone.bot_said(".")
    dashboard = context.new_page()
    dashboard.goto(sandbox.url + "/dashboard/login?lang=en")
    dashboard.fill("#who", cast.coordinator)
    dashboard.click("button[type=submit]")
    code = re.search(r"\b(\d{6})\b", phone.bot_said(r"\d{6}"))
    assert code is not None
    dashboard.fill("#code", code.group(1))
    dashboard.click("button[type=submit]")
    dashboard.wait_for_url(re.compile(r"/dashboard$"))

    # At a glance: five figures, the two charts, the groups, and who needs attention.
    assert dashboard.locator(".figure").count() == 5
    assert dashboard.locator('[data-figure="attendance"] .value').inner_text().endswith("%")
    assert dashboard.locator(".charts svg").count() == 2
    assert dashboard.locator("#units-group tbody tr").count() == 4
    assert dashboard.locator("#attention-list tbody tr").count() > 0

    # What families reported of their absences: a tab of its own, a page at a time, searchable.
    dashboard.goto(sandbox.url + "/dashboard?table=problems&period=year&lang=en")
    assert dashboard.locator("h2 small").inner_text().isdigit()
    assert dashboard.locator("table tbody tr").count() > 0
    assert dashboard.locator("nav.tabs a[href*='table=threads']").count() == 1
    dashboard.goto(sandbox.url + "/dashboard?lang=en")

    # Another period: the whole school year.
    dashboard.select_option("select[name=period]", "year")
    dashboard.click(".period button[type=submit]")
    dashboard.wait_for_url(re.compile(r"period=year"))
    assert "School year" in dashboard.locator(".scopebar .hint").inner_text()
    assert dashboard.locator('[data-figure="growth"] .value').inner_text() == "—"  # no final yet
    attendance = dashboard.locator('[data-figure="attendance"] .value').inner_text()

    # Reports of that period: the programme report in Kazakh and the e-journal's rows.
    dashboard.click("nav.tabs a[href^='/dashboard/reports']")
    with dashboard.expect_download(timeout=WAIT) as download:
        dashboard.click("#programme-kk")
    report = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "".join(p.extract_text() for p in report.pages)
    # The page reads in English («92.9%»), the report in Kazakh, with a decimal comma («92,9%»).
    assert "«Цифрлық ұстаз» жобасы" in text and "оқу жылы" in text
    assert attendance.replace(".", ",") in text
    with dashboard.expect_download(timeout=WAIT) as download:
        dashboard.click("#journal-csv")
    journal = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert journal[0].startswith("Date;Class;Pupil;Subject;Work") and len(journal) > 10
    context.close()
