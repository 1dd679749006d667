"""A week in the sandbox, in a real browser: a tutor sets homework, a parent joins and consents, the
pupil's first photo is too dark and they take it again, the tutor grades it and the grade reaches
the parent, who finds it under /grades as the pupil does under /homework; then the coordinator signs
in to the dashboard with a code sent through the bot, sees the submission counted and downloads the
table as XLSX."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageEnhance
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlmodel import Session, col, select

from models.enums import Role
from models.people import Guardianship, Membership, Person
from models.postal import PostalRound
from models.school import GroupMember, TutoringGroup
from models.store import make_engine
from tests.browser.conftest import RunningSandbox
from tests.support.homework import page_image

pytestmark = pytest.mark.browser
WAIT = 45_000  # ms (CI machines are shared)


@dataclass(frozen=True)
class Cast:
    tutor: int
    group_code: str
    pupil: int
    parent: int
    coordinator: str  # roster id, typed at sign-in


def cast_of(sandbox: RunningSandbox) -> Cast:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        with Session(engine) as session:
            group = session.exec(select(TutoringGroup).order_by(col(TutoringGroup.code))).first()
            assert group is not None and group.tutor_id is not None
            pupils = session.exec(select(GroupMember.pupil_id).where(GroupMember.group_id == group.id)).all()
            pupil, parent = session.exec(
                select(Guardianship.pupil_id, Guardianship.guardian_id)
                .where(col(Guardianship.pupil_id).in_(pupils))
                .order_by(col(Guardianship.pupil_id))
            ).first() or (0, 0)
            coordinator = session.exec(
                select(Person.external_id)
                .join(Membership, col(Membership.person_id) == col(Person.id))
                .where(Membership.role == Role.COORDINATOR.value)
            ).first()
            assert coordinator is not None
            return Cast(group.tutor_id, group.code, pupil, parent, coordinator)
    finally:
        engine.dispose()


class Phone:
    """The sandbox page's chat pane, as a visitor uses it."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def open(self, person_id: int) -> None:
        person = self.page.locator(f'.person[data-person="{person_id}"]').first
        details = self.page.locator("details", has=person).first
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        person.click()
        # The page names the person once it has opened their chat (after a round trip), and only
        # then is the chat chooser theirs to change.
        self.page.wait_for_function(
            "id => { const b = document.querySelector('.person[aria-pressed]');"
            " return b?.dataset.person === String(id)"
            " && document.getElementById('who').textContent === b.dataset.name; }",
            arg=person_id,
        )

    def bot_said(self, pattern: str) -> str:
        message = self.page.locator("#messages li.msg.bot", has_text=re.compile(pattern)).last
        self._wait(message, repr(pattern))
        return str(message.inner_text())

    def bot_replied(self, pattern: str) -> str:
        """The bot's first message matching `pattern` after the visitor's last one: an older
        message that matches (from another chat of the same person) does not count."""
        mine = self.page.locator("#messages li.msg.me").last
        message = mine.locator("xpath=following-sibling::li[contains(@class, 'bot')]")
        message = message.filter(has_text=re.compile(pattern)).first
        self._wait(message, f"reply {pattern!r}")
        return str(message.inner_text())

    def bot_said_by_morning(self, pattern: str) -> str:
        """What the bot said, moving the sandbox clock on by hours (at most past one night) until
        it comes."""
        message = self.page.locator("#messages li.msg.bot", has_text=re.compile(pattern)).last
        hour = self.page.locator(".clock button[data-step=hour]")
        for _ in range(12):
            try:
                message.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                before = self.page.inner_text("#clock-now")
                hour.click()
                self.page.wait_for_function(
                    "t => document.getElementById('clock-now').textContent !== t", arg=before
                )
        return self.bot_said(pattern)

    def _wait(self, element: Any, what: str) -> None:
        try:
            element.wait_for(timeout=WAIT)
        except PlaywrightTimeout:
            raise AssertionError(f"no {what} in the chat:\n{self.page.inner_text('#messages')}") from None

    def press(self, callback: str) -> None:
        button = self.page.locator(f'#messages button[data-callback="{callback}"]').last
        self._wait(button, f"button {callback}")
        button.click()

    def press_starting(self, prefix: str) -> str:
        button = self.page.locator(f'#messages button[data-callback^="{prefix}"]').last
        self._wait(button, f"button {prefix}…")
        value = str(button.get_attribute("data-callback"))
        button.click()
        return value

    def say(self, text: str) -> None:
        self.page.fill("#text", text)
        self.page.press("#text", "Enter")
        self.page.locator("#messages li.msg.me", has_text=text).last.wait_for(timeout=WAIT)

    def choose_english(self) -> None:
        self.press("lang:en")
        self.bot_said("English it is")


def coordinator_signed_in(sandbox: RunningSandbox, context: Any, phone: Phone, coordinator: str) -> Any:
    """The coordinator joins in the sandbox's chat, then signs in to the dashboard with the code the
    bot sends there: the dashboard's page, signed in."""
    page = phone.page
    phone.open(int(page.locator(".person[data-role=coordinator]").first.get_attribute("data-person")))
    phone.bot_said(".")
    dashboard = context.new_page()
    dashboard.goto(sandbox.url + "/dashboard?lang=en")
    assert dashboard.url.endswith("/dashboard/login")
    dashboard.fill("#who", coordinator)
    dashboard.click("button[type=submit]")
    code = re.search(r"\b(\d{6})\b", phone.bot_said(r"\d{6}"))
    assert code is not None
    dashboard.fill("#code", code.group(1))
    dashboard.click("button[type=submit]")
    dashboard.wait_for_url(re.compile(r"/dashboard$"))
    return dashboard


def photo(tmp_path: Path, *, dark: bool = False) -> Path:
    """A photo of a written page; `dark`: taken in a dark room."""
    path = tmp_path / ("dark.jpg" if dark else "page.jpg")
    page = Image.open(io.BytesIO(page_image()))
    (ImageEnhance.Brightness(page).enhance(0.15) if dark else page).save(path, "JPEG")
    return path


def test_a_week_in_the_sandbox_and_the_dashboard(
    sandbox: RunningSandbox, browser: Any, tmp_path: Path
) -> None:
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=en")
    assert page.title().startswith("Sandbox")
    phone = Phone(page)

    # The tutor sets homework for their group.
    phone.open(cast.tutor)
    phone.choose_english()
    phone.say("/homework")
    phone.press_starting("hw:group:")
    phone.say("Exercises 1-5 on page 42")
    phone.say("tomorrow 18:00")
    phone.press("hw:kind:formative")
    phone.press("hw:confirm:yes")

    # A parent joins by their invite and gives consent.
    phone.open(cast.parent)
    phone.choose_english()
    phone.press(f"consent:yes:{cast.pupil}")

    # The pupil joins and hands in a photo: the first is too dark, so they take it again.
    phone.open(cast.pupil)
    phone.choose_english()
    page.set_input_files("#photo", str(photo(tmp_path, dark=True)))
    phone.bot_said("The photo is too dark")
    phone.press("hw:check:retake")
    page.set_input_files("#photo", str(photo(tmp_path)))
    page.locator("#messages li.msg.me img").last.wait_for(timeout=WAIT)
    phone.bot_said("Received ✓")

    # The tutor grades it.
    phone.open(cast.tutor)
    phone.say("/review")
    phone.press_starting("rv:grade:")
    phone.press("rv:score:8")
    phone.say("Well done, check exercise 3.")

    # The grade reaches the parent through the outbox: at once by day; in the evening quiet hours
    # hold it until morning, so the sandbox clock is moved on an hour at a time until it comes.
    phone.open(cast.parent)
    grade = phone.bot_said_by_morning("Well done, check exercise 3")
    assert "Exercises 1-5 on page 42" in grade and "8/10" in grade
    phone.say("/grades")
    assert "Exercises 1-5 on page 42 — formative, score 8/10" in phone.bot_replied("score 8/10")
    phone.open(cast.pupil)
    phone.say("/homework")
    graded = phone.bot_replied("✓ Algebra · Exercises 1-5 on page 42")
    assert "formative, score 8/10. Comment: Well done, check exercise 3." in graded

    # The coordinator joins, then signs in to the dashboard with the code the bot sends.
    dashboard = coordinator_signed_in(sandbox, context, phone, cast.coordinator)

    dashboard.click("a[href='/dashboard?table=homework']")
    row = dashboard.locator("#table-homework tr", has_text=cast.group_code)
    cells = [str(c) for c in row.locator("td").all_inner_texts()]
    assert cells[2:5] == ["1", "1", "0"]  # set, submitted on time, late
    assert cells[6] == "1"  # reviewed

    with dashboard.expect_download() as download:
        dashboard.click("a[href^='/dashboard/export/homework.xlsx']")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Group", "Subject", "Set")
    [exported] = [r for r in rows[1:] if r[0] == cast.group_code]
    assert exported[2:5] == (1, 1, 0) and exported[6] == 1
    context.close()


def test_the_page_speaks_russian_and_the_clock_brings_the_lesson_reminders(
    sandbox: RunningSandbox, browser: Any
) -> None:
    cast = cast_of(sandbox)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(sandbox.url + "/?lang=ru")
    assert page.title().startswith("Песочница")
    hour = page.locator(".clock button[data-step=hour]")
    assert hour.inner_text() == "+1 час"
    phone = Phone(page)
    phone.open(cast.tutor)  # joined in the first test, in English
    reminder = page.locator("#messages li.msg.bot", has_text=f"lesson of group {cast.group_code} starts soon")
    for _ in range(8 * 24):  # the group meets twice a week
        before = page.inner_text("#clock-now")
        hour.click()
        page.wait_for_function("t => document.getElementById('clock-now').textContent !== t", arg=before)
        if reminder.count():
            break
    reminder.last.wait_for(timeout=WAIT)
    # The pupil, whose parent consented, is reminded too (their own language: English).
    phone.open(cast.pupil)
    assert "lesson starts soon" in phone.bot_said("Reminder: your .* lesson starts soon")

    # The parent writes on WhatsApp from the number the roster holds: the choices are WhatsApp's
    # quick-reply buttons, and a tap answers (a typed number would too).
    phone.open(cast.parent)
    page.select_option("#chat-select", "whatsapp")
    phone.say("/language")
    phone.bot_replied("Choose your language")
    choices = page.locator("#messages li.msg.bot .wa-buttons").last
    assert choices.locator("button").all_inner_texts() == ["Қазақша", "Русский", "English"]
    choices.locator("button", has_text="English").click()
    page.locator("#messages li.msg.me", has_text="English").last.wait_for(timeout=WAIT)
    phone.bot_replied("English it is")

    # Days later a Kazpost round has opened for each class (the demo school collects every 14 days).
    day = page.locator(".clock button[data-step=day]")
    for _ in range(3):
        before = page.inner_text("#clock-now")
        day.click()
        page.wait_for_function("t => document.getElementById('clock-now').textContent !== t", arg=before)
    assert rounds_opened(sandbox) == 2
    context.close()


def rounds_opened(sandbox: RunningSandbox) -> int:
    engine = make_engine(f"sqlite:///{sandbox.data_dir / 'ustaz.sqlite3'}")
    try:
        with Session(engine) as session:
            return len(session.exec(select(PostalRound)).all())
    finally:
        engine.dispose()
