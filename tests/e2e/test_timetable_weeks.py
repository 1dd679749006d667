"""End to end: КЕСТЕ / РАСПИСАНИЕ / TIMETABLE shows the two weeks ahead, and a pupil or a parent pages
on, two weeks at a time, to the end of the academic year, where they hear that the year ends; the
spring holidays' lessons are marked as called off on the way. On Telegram (a button), WhatsApp (a
button) and SMS (a number), in Kazakh, Russian and English. The clock is on Wednesday 18 March 2026;
A1 meets on Mondays and Wednesdays at 15:00; the year ends on 25 May 2026."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete

from bots.app import start
from locales import T, translate
from models import CalendarEntry, ChannelIdentity
from models.store import session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_day_lessons import lesson_line, school, to_staff
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, choices, emulator_settings
from tests.support.homework import PEOPLE, World
from tests.support.threads import STAFF, all_on_telegram

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2500 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
WHATSAPP, SMS = "+77015550501", "+77015550502"
YEAR_END = "25.05.2026"
# The fortnights from today to the end of the year; the last is cut at the year's end.
FORTNIGHTS = [("01.04", "14.04"), ("15.04", "28.04"), ("29.04", "12.05"), ("13.05", "25.05")]
LATER = "rec:more:tt:"


def national(db_url: str, tmp_path: Path, telegram_ids: dict[str, int] | None = None) -> World:
    """The school on the national calendar alone (the test weeks of working days removed)."""
    world = school(db_url, tmp_path, telegram_ids)
    with session_scope(world.engine) as session:
        session.execute(delete(CalendarEntry))
    return world


def cancelled(language: str, weekday: int, day: str) -> str:
    return T(
        "record.lesson.cancelled", weekday=T(f"record.weekday.{weekday}"), date=day, time="15:00",
        subject=T("subject.algebra"),
    ).render(language)  # fmt: skip


@pytest.mark.usefixtures("wednesday")
async def test_the_timetable_pages_on_to_the_end_of_the_year_on_telegram(tmp_path: Path, db_url: str) -> None:
    world = national(db_url, tmp_path, TELEGRAM_IDS)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            pupil = Chatting(telegram, TELEGRAM_IDS["p1"])  # Нұрлан, kk
            [first] = await pupil.text("КЕСТЕ")
            # The two weeks ahead: today's lesson, two called off for the spring holidays, one after.
            title = translate("kk", "record.tt.title", pupil="Нұрлан Сейітов")
            assert first.text == translate(
                "kk",
                "record.page",
                title=title,
                counter="",
                lines="\n".join(
                    [
                        lesson_line("kk", 2, "18.03"),
                        cancelled("kk", 0, "23.03"),
                        cancelled("kk", 2, "25.03"),
                        lesson_line("kk", 0, "30.03"),
                    ]
                ),
            )
            assert first.inline_keyboard[0][0]["text"] == translate("kk", "record.tt.later")
            shown = first
            for number, (begins, ends) in enumerate(FORTNIGHTS, start=1):
                [shown] = await pupil.press(shown, LATER)
                heading = translate(
                    "kk", "record.tt.title_weeks", pupil="Нұрлан Сейітов", first=begins, last=ends
                )
                assert shown.text is not None and shown.text.startswith(heading + "\n\n"), number
                assert lesson_line("kk", 2, begins) in shown.text  # each fortnight begins on a Wednesday
            # The last fortnight ends with the year's last day, says so, and offers nothing further.
            assert shown.text is not None and lesson_line("kk", 0, "25.05") in shown.text
            assert shown.text.endswith("\n" + translate("kk", "record.tt.year_ends", end=YEAR_END))
            assert choices(shown) == []

            # English: TIMETABLE, then the next two weeks.
            english = Chatting(telegram, TELEGRAM_IDS["p2"])  # Аружан, en
            [now] = await english.text("TIMETABLE")
            [later] = await english.press(now, LATER)
            assert later.text is not None and later.text.startswith(
                translate("en", "record.tt.title_weeks", pupil="Аружан Бекова", first="01.04", last="14.04")
            )
            assert lesson_line("en", 0, "06.04") in later.text

            # Russian: a parent, /timetable, then the next two weeks of their child.
            parent = Chatting(telegram, TELEGRAM_IDS["g1"])  # Айгүл, ru, Нұрлан's mother
            [now] = await parent.text("/timetable")
            assert now.text is not None and cancelled("ru", 0, "23.03") in now.text
            [later] = await parent.press(now, LATER)
            assert later.text is not None and later.text.startswith(
                translate("ru", "record.tt.title_weeks", pupil="Нұрлан Сейітов", first="01.04", last="14.04")
            )
            assert to_staff(db_url) == []
        finally:
            await running.stop()


@pytest.mark.usefixtures("wednesday")
async def test_by_whatsapp_and_sms_the_timetable_pages_on(tmp_path: Path, db_url: str) -> None:
    world = national(db_url, tmp_path)
    with session_scope(world.engine) as session:  # Бота (kk) on WhatsApp, Айгүл (ru) by SMS
        session.add(ChannelIdentity(person_id=world.ids["g2"], channel="whatsapp", address=WHATSAPP))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address=SMS))
    world.engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            # WhatsApp: КЕСТЕ, and a «Келесі екі апта» button under the two weeks.
            [now] = await system.say("КЕСТЕ", number=WHATSAPP)
            assert now.startswith(translate("kk", "record.tt.title", pupil="Аружан Бекова"))
            offered = twilio.messages_to(WHATSAPP)[-1].interactive
            assert offered is not None
            [(later_id, later)] = [(option["id"], option["title"]) for option in offered["options"]]
            assert later == translate("kk", "record.tt.later")
            before = len(twilio.messages_to(WHATSAPP))
            pressed = await twilio.inject_inbound(
                "whatsapp", WHATSAPP, button_payload=later_id, button_text=later
            )
            assert pressed.http_status == 200
            [fortnight] = await system.replies(WHATSAPP, before)
            assert fortnight.startswith(
                translate("kk", "record.tt.title_weeks", pupil="Аружан Бекова", first="01.04", last="14.04")
            )

            # SMS: pages of three lines; «1» is «Ещё», then «1» is the next two weeks.
            page, *_reply_with_a_number = await system.sms("РАСПИСАНИЕ", number=SMS)
            assert page.text.startswith(translate("ru", "record.tt.title", pupil="Нұрлан Сейітов") + " (1/2)")
            assert f"\n1 {translate('ru', 'record.more')}" in page.text
            page, *_reply_with_a_number = await system.sms("1", number=SMS)
            assert " (2/2)" in page.text and lesson_line("ru", 0, "30.03") in page.text
            assert f"\n1 {translate('ru', 'record.tt.later')}" in page.text
            page, *_reply_with_a_number = await system.sms("1", number=SMS)
            assert page.text.startswith(
                translate("ru", "record.tt.title_weeks", pupil="Нұрлан Сейітов", first="01.04", last="14.04")
                + " (1/2)"
            )
            assert all(m.num_segments <= 3 for m in twilio.messages_to(SMS, "sms"))
        finally:
            await running.stop()
            engine.dispose()
    assert to_staff(db_url) == []
