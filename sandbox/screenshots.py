"""Screenshots of the sandbox page and the dashboard, at phone (390 px) and desktop (1280 px) width,
and of WhatsApp conversations with buttons, for the README:
`.venv/bin/python -m sandbox.screenshots [docs]`.

Starts the sandbox (`python -m bots` with no configuration) in a temporary folder, lets a parent
join and consent in the sandbox page, signs the coordinator in to the dashboard with the code the
bot sends; then a second parent answers on WhatsApp with its quick-reply buttons, and a class teacher
on WhatsApp opens the list of an announcement's audiences. Saves six PNG files. Needs Debian's
chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 860)}
WAIT = 20_000
COORDINATOR = "SH2-S01"  # the sample roster's coordinator


def start(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "DATA_DIR": str(home / "data"), "HTTP_PORT": "0"}
    log = home / "sandbox.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bots"], cwd=home, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if found := re.search(r"web:\s+(\S+?)/?\n", log.read_text()):
            return process, found.group(1)
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the sandbox did not start")


def open_person(page: Page, role: str) -> None:
    person = page.locator(f".person[data-role={role}]").first
    details = page.locator("details", has=person).first
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    person.click()
    page.wait_for_selector(".person[aria-pressed]")


def press(page: Page, prefix: str) -> None:
    button = page.locator(f'#messages button[data-callback^="{prefix}"]').last
    button.wait_for(timeout=WAIT)
    button.click()


def bot_said(page: Page, pattern: str) -> str:
    message = page.locator("#messages li.msg.bot", has_text=re.compile(pattern)).last
    message.wait_for(timeout=WAIT)
    return str(message.inner_text())


def prepare(browser: Any, url: str) -> tuple[Page, Page]:
    """A parent who has joined and consented in the sandbox page; the coordinator signed in."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(url + "/?lang=en")
    open_person(page, "coordinator")
    press(page, "lang:en")
    dashboard = context.new_page()
    dashboard.goto(url + "/dashboard/login?lang=en")
    dashboard.fill("#who", COORDINATOR)
    dashboard.click("button[type=submit]")
    code = re.search(r"\b(\d{6})\b", bot_said(page, r"\d{6}"))
    assert code is not None
    dashboard.fill("#code", code.group(1))
    dashboard.click("button[type=submit]")
    dashboard.wait_for_url(re.compile(r"/dashboard$"))
    open_person(page, "guardian")
    press(page, "lang:en")
    press(page, "consent:yes:")
    bot_said(page, ".")
    page.wait_for_timeout(1500)
    return page, dashboard


def on_whatsapp(page: Page, role: str, nth: int, text: str) -> None:
    """Someone of `role` writes `text` from their phone number, in the WhatsApp chat pane."""
    person = page.locator(f".person[data-role={role}]").nth(nth)
    details = page.locator("details", has=person).first
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    person.click()
    page.wait_for_selector(".person[aria-pressed]")
    page.select_option("#chat-select", "whatsapp")
    say(page, text)


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.locator("#messages li.msg.me", has_text=text).last.wait_for(timeout=WAIT)


def tap(page: Page, title: str) -> None:
    """Tap the latest WhatsApp button (or list item) with this title."""
    button = page.locator("#messages .wa-buttons button, #messages .wa-list li button", has_text=title).last
    button.wait_for(timeout=WAIT)
    button.click()


def whatsapp(browser: Any, url: str, folder: Path) -> None:
    """A parent answering with WhatsApp's buttons; a class teacher's list of audiences, opened."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(url + "/?lang=ru")
    on_whatsapp(page, "guardian", 1, "Сәлеметсіз бе")
    tap(page, "Русский")
    page.locator("#messages .wa-buttons button", has_text="Да, даю согласие").last.wait_for(timeout=WAIT)
    shoot(page, "whatsapp-buttons", folder, ("phone",))
    on_whatsapp(page, "class_teacher", 0, "Сәлеметсіз бе")
    tap(page, "Русский")
    say(page, "/broadcast")
    bot_said(page, "Пришлите текст")
    say(page, "Родительское собрание в пятницу в 18:00, кабинет 12.")
    opener = page.locator("#messages .wa-list > div button").last
    opener.wait_for(timeout=WAIT)
    opener.click()
    shoot(page, "whatsapp-list", folder, ("phone",))


def shoot(page: Page, name: str, folder: Path, sizes: tuple[str, ...] = tuple(WIDTHS)) -> None:
    for label in sizes:
        width, height = WIDTHS[label]
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(500)
        page.evaluate("window.scrollTo(0, 0)")
        page.evaluate(
            "document.querySelectorAll('.messages').forEach(m => { m.scrollTop = m.scrollHeight; })"
        )
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=False)
        print(folder / f"{name}-{label}.png")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        process, url = start(Path(home))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page, dashboard = prepare(browser, url)
                shoot(page, "sandbox", folder)
                dashboard.goto(url + "/dashboard?table=consent")
                shoot(dashboard, "dashboard", folder)
                whatsapp(browser, url, folder)
                browser.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
