"""Screenshots of the sandbox page, the dashboard's overview, its plan page and a district's view, at
phone (390 px) and desktop (1280 px) width, and of WhatsApp conversations with buttons, for the README:
`.venv/bin/python -m sandbox.screenshots [docs]`.

Starts the sandbox (`python -m bots` with no configuration) in a temporary folder, lets a parent
join and consent in the sandbox page, signs the coordinator in to the dashboard with the code the
bot sends, writes the school year so far into its store (`sandbox.term`), and saves the sandbox, the
overview and the coordinator's plan page; a second parent answers on WhatsApp with its quick-reply
buttons, and a class teacher on WhatsApp opens the list of an announcement's audiences. Then writes a
district of twelve schools (`sandbox.world`), serves the dashboard over it with its district
coordinator signed in, and saves the district's view. Needs Debian's
chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright

from bots.web.auth import SESSION_COOKIE
from models.clock import utcnow
from models.dashboard import DashboardSession
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.term import fill_term
from sandbox.world import build_district

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
ZONE = ZoneInfo("Asia/Almaty")


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
    shoot(page, "whatsapp-buttons", folder, sizes=("phone",))
    on_whatsapp(page, "class_teacher", 0, "Сәлеметсіз бе")
    tap(page, "Русский")
    say(page, "/broadcast")
    bot_said(page, "Пришлите текст")
    say(page, "Родительское собрание в пятницу в 18:00, кабинет 12.")
    opener = page.locator("#messages .wa-list > div button").last
    opener.wait_for(timeout=WAIT)
    opener.click()
    shoot(page, "whatsapp-list", folder, sizes=("phone",))


def shoot(
    page: Page, name: str, folder: Path, taller: int = 0, sizes: tuple[str, ...] = tuple(WIDTHS)
) -> None:
    """At each width; `taller` adds to the desktop's height, to show what lies below the figures."""
    for label in sizes:
        width, height = WIDTHS[label]
        height += taller if label == "desktop" else 0
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(500)
        page.evaluate("window.scrollTo(0, 0)")
        page.evaluate(
            "document.querySelectorAll('.messages').forEach(m => { m.scrollTop = m.scrollHeight; })"
        )
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=False)
        print(folder / f"{name}-{label}.png")


def school_year(home: Path) -> None:
    engine = make_engine(f"sqlite:///{home / 'data' / 'ustaz.sqlite3'}")
    try:
        fill_term(engine, datetime.now(ZONE).date())
    finally:
        engine.dispose()


def district(home: Path) -> tuple[str, str]:
    """A district of twelve schools with a year so far, and its coordinator's session id."""
    url = f"sqlite:///{home / 'district.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    world = build_district(engine, 12, 40)
    fill_term(engine, datetime.now(ZONE).date())
    session_id = secrets.token_urlsafe(24)
    with session_scope(engine) as session:
        session.add(
            DashboardSession(
                session_hash=hashlib.sha256(session_id.encode()).hexdigest(),
                person_id=world.district,
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    engine.dispose()
    return url, session_id


def serve_dashboard(db_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The dashboard alone over `db_url`, on a free port, in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = (
        "import sys; from aiohttp import web; from pathlib import Path; from bots.web import mount_web; "
        "from models.store import make_engine; from settings import load_settings; "
        "app = web.Application(); "
        "mount_web(app, make_engine(sys.argv[1]), load_settings(data_dir=Path(sys.argv[3]), "
        "database_url=sys.argv[1]), lambda: None); "
        "web.run_app(app, host='127.0.0.1', port=int(sys.argv[2]), print=None)"
    )
    process = subprocess.Popen([sys.executable, "-c", script, db_url, str(port), str(folder)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the district's dashboard did not start")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        process, url = start(Path(home))
        try:
            page, dashboard = prepare(browser, url)
            school_year(Path(home))
            shoot(page, "sandbox", folder)
            dashboard.goto(url + "/dashboard?lang=en")
            shoot(dashboard, "dashboard", folder)
            dashboard.goto(url + "/dashboard/plan?lang=en")
            shoot(dashboard, "plan", folder)
            whatsapp(browser, url, folder)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        db_url, session_id = district(Path(home))
        server, district_url = serve_dashboard(db_url, Path(home))
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            context.add_cookies([{"name": SESSION_COOKIE, "value": session_id, "url": district_url}])
            view = context.new_page()
            view.goto(district_url + "/dashboard?lang=kk")
            shoot(view, "district", folder, taller=560)
        finally:
            server.terminate()
            server.wait(timeout=30)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
