"""A school coordinator's everyday round of the dashboard, in Kazakh, in a real browser: the one-click
reminder from "needs attention" (a second click the same day sends nothing), a searched table and its
pupil's page and summary, the families no channel reached, and the Kazpost ones with the next round's
paper packs, and the rounds once opened, their items marked received or missing as the paper comes
in — every page leads on to the next step and back, and two pages that count the same families
agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from locales import translate
from tests.browser.conftest import RunningSandbox
from tests.browser.signing import coordinator_dashboard, school_year
from tests.browser.test_walkthrough import WAIT, rounds_opened

pytestmark = pytest.mark.browser


def kk(key: str, **params: Any) -> str:
    return translate("kk", key, **params)


def test_the_coordinators_round_reminds_searches_and_finds_the_families_on_post(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    school_year(sandbox)
    context, page = coordinator_dashboard(sandbox, browser)
    page.goto(sandbox.url + "/dashboard?lang=kk")

    # Needs attention: the one-click reminder, then the same pupil again the same day.
    row = page.locator(
        "#attention-list tbody tr", has=page.locator("form[action^='/dashboard/remind']")
    ).first
    pupil = row.locator("td").first.inner_text().strip()
    row.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"reminded="))
    assert page.locator("p.ok[role=status]").inner_text().startswith(kk("overview.reminded", count=1)[:8])
    again = page.locator("#attention-list tbody tr", has_text=pupil).first
    again.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"reminded=\d+:0:"))
    assert page.locator("p.ok[role=status]").inner_text() == kk("overview.reminded_before")

    # A table searched by a name, its pupil's page, and the way back.
    page.goto(sandbox.url + "/dashboard?table=consent&lang=kk")
    page.fill("input[name=find]", pupil.split()[0])
    page.press("input[name=find]", "Enter")
    page.wait_for_url(re.compile(r"find="))
    found = page.locator("table tbody tr a[href^='/dashboard/pupil/']")
    assert found.count() >= 1 and all(pupil.split()[0] in t for t in found.all_inner_texts())
    found.first.click()
    page.wait_for_url(re.compile(r"/dashboard/pupil/\d+"))
    assert page.locator("a[href*='summary.pdf']").count() == 1
    page.click("#back")  # to the table it came from: the same tab, search and period
    page.wait_for_url(re.compile(r"/dashboard\?(.*&)?table=consent&.*#table$"))
    assert page.input_value("input[name=find]") == pupil.split()[0]

    # The reports page's pupil summary is reached from the page itself: it leads to the pupils' list.
    page.goto(sandbox.url + "/dashboard/reports?lang=kk")
    assert page.locator("#find-pupil").inner_text() == kk("ways.reports.find_pupil")
    page.click("#find-pupil")
    page.wait_for_url(re.compile(r"table=consent"))
    assert page.locator("table tbody tr a[href^='/dashboard/pupil/']").count() > 0

    # The Kazpost tab before any round has opened leads to the next collection, which lists the same
    # families on post as the "call these families" list sends there.
    page.goto(sandbox.url + "/dashboard?table=postal&lang=kk")
    page.click("#next-collection")
    page.wait_for_url(re.compile(r"/dashboard/delivery.*#post$"))
    on_post = page.locator("#post-list tbody tr td:first-child").all_inner_texts()
    assert on_post and page.locator("#post h2 small").inner_text() == str(len(on_post))
    on_paper = page.locator("#call-list tbody tr", has=page.locator("a.on-paper"))
    assert on_paper.count() >= 1
    assert on_paper.first.locator("a.on-paper").inner_text() == kk("ways.delivery.on_paper")
    assert on_paper.first.locator("a.on-paper").get_attribute("href") == "#post"
    for pupil_on_post in on_paper.locator("td:nth-child(2)").all_inner_texts():
        assert pupil_on_post in on_post  # every post-only family the call list names is in the next round
    assert page.locator("#call-list tbody tr", has_text="—").count() == 0  # no number and no way on
    # The two lists count different things, and say which: a person's messages in the period; the
    # family's since the last collection.
    assert kk("ways.delivery.messages_in_period") in page.locator("#call-list thead").inner_text()
    notices = page.locator("#post-list .chip").all_inner_texts()
    assert any(text.startswith(kk("overview.delivery.notices", count=0)[:20]) for text in notices)
    # A family on post's own page says so and leads back to the collection.
    page.locator("#post-list tbody tr a[href^='/dashboard/pupil/']").first.click()
    page.wait_for_url(re.compile(r"/dashboard/pupil/\d+"))
    assert page.locator("#on-post").count() == 1
    page.click("#on-post a")
    page.wait_for_url(re.compile(r"/dashboard/delivery#post$"))

    # The next round's paper packs print from here, a PDF per class.
    packs = page.locator("#packs a")
    assert packs.count() >= 1
    printed = page.request.get(sandbox.url + str(packs.first.get_attribute("href")), timeout=WAIT)
    assert printed.ok and printed.headers["content-type"] == "application/pdf"

    # Days later the rounds open; the page lists each with its documents as they were sent.
    assert page.locator("#round-list tbody tr").inner_text() == kk("ways.rounds.none")
    sandbox_page = context.new_page()
    sandbox_page.goto(sandbox.url + "/?lang=kk")
    day = sandbox_page.locator(".clock button[data-step=day]")
    for _ in range(14):  # the demo school collects every 14 days
        if rounds_opened(sandbox):
            break
        before = sandbox_page.inner_text("#clock-now")
        day.click()
        sandbox_page.wait_for_function(
            "t => document.getElementById('clock-now').textContent !== t", arg=before
        )
    opened = rounds_opened(sandbox)
    assert opened
    page.goto(sandbox.url + "/dashboard/delivery?lang=kk#rounds")
    assert page.locator("#round-list tbody tr").count() == opened
    documents = page.locator("#round-list tbody tr").first.locator("td.downloads a")
    assert documents.all_inner_texts()[:2] == [
        kk("ways.rounds.document.list_pdf"),
        kk("ways.rounds.document.list_xlsx"),
    ]
    for href in (documents.nth(n).get_attribute("href") for n in range(documents.count())):
        sent = page.request.get(sandbox.url + str(href), timeout=WAIT)
        assert sent.ok and sent.body()[:4] in (b"%PDF", b"PK\x03\x04")
    # As the paper comes in, the coordinator marks each item received or missing, as /post does.
    marking = page.locator("#round-list tbody tr", has=page.locator("details.marks")).first
    marking.locator("details.marks summary").click()
    assert marking.locator("details.marks summary").inner_text() == kk("ways.rounds.mark")
    page.locator("#rounds").screenshot(path=str(tmp_path / "marks.png"))
    items = marking.locator("ul.marks li")
    assert items.count() == 2  # the sample school's 8А: two families on post
    received = items.first.locator("span").inner_text()
    items.first.locator("button[value=received]").click()
    page.wait_for_url(re.compile(r"marked=\d+#rounds$"))
    assert page.inner_text("#marked") == kk("postal.marked.received", item=received)
    marking = page.locator("#round-list tbody tr", has=page.locator("details.marks[open]"))
    assert kk("web.postal.received") + ": 1" in marking.inner_text()
    class_name = marking.locator("td").first.inner_text()
    items = marking.locator("ul.marks li")
    assert items.count() == 1 and received not in items.all_inner_texts()
    missing = items.first.locator("span").inner_text()
    items.first.locator("button[value=missing]").click()
    page.wait_for_url(re.compile(r"marked=\d+#rounds$"))
    said = page.inner_text("#marked")
    assert said.startswith(kk("postal.marked.missing", item=missing, next_date="")[:40])
    closed = page.locator("#round-list tbody tr", has_text=kk("ways.rounds.closed")).first
    assert closed.locator("td").first.inner_text() == class_name and closed.locator("details").count() == 0
    page.locator("#rounds").screenshot(path=str(tmp_path / "rounds.png"))

    # The invitation list says which parents not joined yet have consent in force.
    page.goto(sandbox.url + "/dashboard/invites?lang=kk")
    consent = page.locator("table.invites .chip[class*=consent-]")
    assert consent.count() >= 1
    consent.first.locator("xpath=ancestor::table").screenshot(path=str(tmp_path / "invites.png"))
    context.close()
