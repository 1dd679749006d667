"""The overview in a real browser: the coordinator signs in with a code the bot sends, sees the
sample school's year so far at a glance, the problems families reported, chooses another period,
and downloads reports."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.browser.conftest import RunningSandbox
from tests.browser.signing import coordinator_dashboard, school_year
from tests.browser.test_walkthrough import WAIT

pytestmark = pytest.mark.browser


def test_the_coordinator_opens_the_overview_filters_a_period_and_downloads_reports(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    school_year(sandbox)
    context, dashboard = coordinator_dashboard(sandbox, browser)

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

    # Two dates, typed as the page's language writes them (dd.mm.yyyy), not as the browser's
    # locale would have its own date field do (mm/dd/yyyy in an English Chromium).
    assert dashboard.evaluate("navigator.language").startswith("en")
    assert dashboard.get_attribute("input[name=from]", "placeholder") == "dd.mm.yyyy"
    dashboard.fill("input[name=from]", "02.11.2026")
    dashboard.fill("input[name=to]", "27.11.2026")
    assert dashboard.input_value("select[name=period]") == "dates"
    dashboard.click(".period button[type=submit]")
    dashboard.wait_for_url(re.compile(r"from=02\.11\.2026"))
    assert "02.11.2026–27.11.2026" in dashboard.locator(".scopebar .hint").inner_text()
    assert dashboard.input_value("input[name=from]") == "02.11.2026"
    dashboard.screenshot(path=str(tmp_path / "period-dates.png"))
    dashboard.goto(sandbox.url + "/dashboard?period=year&lang=en")

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
