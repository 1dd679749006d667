"""A district coordinator's round of the dashboard in a real browser, in Kazakh: every school side by
side, one school drilled into and back, another period; the figures of a school agree between the
district's table and the school's own page, and the district's "needs attention" names each pupil's
school (a district has many classes called 8А)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bots.web.auth import SESSION_COOKIE
from sandbox.screenshots import district, serve_dashboard
from tests.browser.conftest import CHROMIUM, chromium
from tests.browser.test_walkthrough import WAIT

pytestmark = pytest.mark.browser
FIGURES = ("consent", "attendance", "on_time", "score")  # the school table's columns after pupils


@pytest.fixture(scope="module")
def district_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A district of twelve schools with the year so far (as the README's screenshot has it), its
    dashboard served alone; its coordinator's session."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    home = tmp_path_factory.mktemp("district")
    db_url, session_id = district(home)
    server, url = serve_dashboard(db_url, home)
    try:
        yield url, session_id
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def district_browser(district_dashboard: tuple[str, str]) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def test_a_district_compares_its_schools_drills_into_one_and_comes_back(
    district_dashboard: tuple[str, str], district_browser: Any
) -> None:
    url, session_id = district_dashboard
    context = district_browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": SESSION_COOKIE, "value": session_id, "url": url}])
    page = context.new_page()
    page.goto(url + "/dashboard?lang=kk")

    # Every school side by side, and the pupils needing attention with their school named.
    schools = page.locator("#units-school tbody tr")
    assert schools.count() == 12
    first = schools.first
    name = first.locator("a").inner_text().strip()
    pupils, *side_by_side = (cell.strip() for cell in first.locator("td.num").all_inner_texts())
    attention = page.locator("#attention-list tbody tr")
    assert attention.count() > 0
    assert all(s.strip() for s in attention.locator("td:nth-child(2) small.school").all_inner_texts())
    assert attention.locator("td:nth-child(2) small.school").count() == attention.count()

    # Drill down: the school's own page says the same of it; its attention list needs no school.
    first.locator("a").click()
    page.wait_for_url(re.compile(r"school=\d+"))
    assert page.locator("h1, h2").filter(has_text=name).count() >= 1
    own = [page.locator(f'[data-figure="{key}"] .value').inner_text().strip() for key in FIGURES]
    assert own == side_by_side[: len(FIGURES)]
    assert f"{pupils} " in page.locator('[data-figure="consent"]').inner_text()  # "of 40 pupils"
    assert page.locator("#attention-list small.school").count() == 0

    # And back to every school, the period kept; then the whole school year.
    page.locator("a", has_text="←").first.click()
    page.wait_for_url(re.compile(r"/dashboard\?(?!.*school=)"))
    assert page.locator("#units-school tbody tr").count() == 12
    page.select_option("select[name=period]", "year")
    page.click(".period button[type=submit]")
    page.wait_for_url(re.compile(r"period=year"))
    today = datetime.now(ZoneInfo("Asia/Almaty")).date()
    year = today.year if today.month >= 9 else today.year - 1
    assert f"{year}–{year + 1}" in page.locator(".scopebar .hint").inner_text()
    assert page.locator("#units-school tbody tr").count() == 12
    page.locator("#units-school tbody tr a").first.wait_for(timeout=WAIT)
    context.close()
