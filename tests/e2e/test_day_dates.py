"""End to end: a question about a date — «15 желтоқсанда?», «какие уроки 1 мая?», "lessons on the
15th?", «келесі аптаның сәрсенбісінде?» — is answered with that day's lessons, read against the
school calendar (a day off named, a day after the academic year with the year's end, a date that
does not exist said so), and reaches no teacher unless the family sends it on. On Telegram,
WhatsApp and SMS, in Kazakh, Russian and English."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.app import start
from locales import T, translate
from models import ChannelIdentity
from models.store import session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_day_lessons import lesson_line, school, to_staff
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, all_on_telegram

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2400 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
YEAR_END = "25.05.2026"  # the end of the academic year 2025–2026; the clock is on 18 March 2026
WHATSAPP, SMS = "+77015550401", "+77015550402"


@pytest.mark.usefixtures("wednesday")
async def test_a_date_asked_gets_that_days_lessons_on_telegram(tmp_path: Path, db_url: str) -> None:
    world = school(db_url, tmp_path, TELEGRAM_IDS)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            pupil = Chatting(telegram, TELEGRAM_IDS["p1"])  # Нұрлан, kk
            # A date three weeks ahead, beyond the two weeks /timetable shows: a Wednesday of A1.
            [april] = await pupil.text("8 сәуірде сабақ бар ма?")
            assert april.text == translate(
                "kk",
                "day_lessons.title.on",
                weekday=T("weekday.2"),
                date="08.04",
                pupil="Нұрлан Сейітов",
                lines=lesson_line("kk", 2, "08.04"),
            )
            # Next week's Wednesday, not today's.
            [next_week] = await pupil.text("Келесі аптаның сәрсенбісінде қандай сабақ бар?")
            assert next_week.text is not None and "25.03" in next_week.text
            # A date past the academic year: when the year ends. A bare date may be for a teacher.
            after, offer = await pupil.text("15 желтоқсанда?", count=2)
            assert after.text == translate(
                "kk",
                "day_lessons.after_year",
                date="15.12",
                weekday=T("weekday.1"),
                end=YEAR_END,
                pupil="Нұрлан Сейітов",
            )
            assert offer.text == on_telegram("kk", "day_lessons.offer")
            # A date that does not exist.
            [nothing] = await pupil.text("30 ақпанда сабақ бар ма?")
            assert nothing.text == translate("kk", "day_lessons.no_such_date")

            # English: "the 15th" alone is this month's, or next month's once it has gone (15 April).
            [fifteenth] = await Chatting(telegram, TELEGRAM_IDS["p2"]).text("Any lessons on the 15th?")
            assert fifteenth.text == translate(
                "en",
                "day_lessons.title.on",
                weekday=T("weekday.2"),
                date="15.04",
                pupil="Аружан Бекова",
                lines=lesson_line("en", 2, "15.04"),
            )

            # Russian: a public holiday is named, then the next lesson.
            parent = Chatting(telegram, TELEGRAM_IDS["g1"])  # Айгүл, ru, Нұрлан's mother
            [holiday] = await parent.text("Какие уроки 1 мая?")
            off = translate(
                "ru",
                "day_lessons.day_off",
                date="01.05",
                weekday=T("weekday.4"),
                name=T("calendar.name.unity_day"),
                pupil="Нұрлан Сейітов",
            )
            assert holiday.text is not None and holiday.text.startswith(off + "\n")
            assert choices(holiday) == []
            assert to_staff(db_url) == []

            # «15 декабря?» may answer a teacher's question: one tap sends it on.
            after, offer = await parent.text("15 декабря?", count=2)
            assert after.text is not None and YEAR_END in after.text
            [whom] = await parent.press(offer, "dl:send:")
            assert whom.text == on_telegram("ru", "threads.ask_whom")
        finally:
            await running.stop()


@pytest.mark.usefixtures("wednesday")
async def test_by_whatsapp_and_sms_a_date_gets_that_days_lessons(tmp_path: Path, db_url: str) -> None:
    world = school(db_url, tmp_path)
    with session_scope(world.engine) as session:  # Бота (kk) on WhatsApp, Айгүл (ru) by SMS
        session.add(ChannelIdentity(person_id=world.ids["g2"], channel="whatsapp", address=WHATSAPP))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address=SMS))
    world.engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            [april] = await system.say("15-сәуірде қандай сабақ бар?", number=WHATSAPP)
            assert april == translate(
                "kk",
                "day_lessons.title.on",
                weekday=T("weekday.2"),
                date="15.04",
                pupil="Аружан Бекова",
                lines=lesson_line("kk", 2, "15.04"),
            )
            [june] = await system.sms("расписание на 5 июня", number=SMS)
            assert june.text == translate(
                "ru",
                "day_lessons.after_year",
                date="05.06",
                weekday=T("weekday.4"),
                end=YEAR_END,
                pupil="Нұрлан Сейітов",
            )
        finally:
            await running.stop()
            engine.dispose()
    assert to_staff(db_url) == []
