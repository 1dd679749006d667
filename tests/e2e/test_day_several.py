"""End to end: a question naming a few days — «8 және 9 сәуірде сабақ бар ма?», «15 или 16 апреля?»,
"lessons on the 15th or 16th?", «в понедельник или вторник?» — is answered day by day in one reply,
and reaches no teacher unless the family sends it on («Мұғалімге жіберу», offered when the question
may be a message). On Telegram, WhatsApp and SMS, in Kazakh, Russian and English. The clock is on
Wednesday 18 March 2026; A1 meets on Mondays and Wednesdays at 15:00, on the national calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bots.app import start
from locales import T, translate
from models import ChannelIdentity
from models.store import session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from schoolyear import SchoolCalendar, span_name
from schoolyear.national import national_spans
from tests.e2e.test_day_lessons import lesson_line, to_staff
from tests.e2e.test_timetable_weeks import national
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, all_on_telegram

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2600 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
WHATSAPP, SMS = "+77015550601", "+77015550602"


def wednesday_and_thursday(language: str, pupil: str, wednesday: str, thursday: str, monday: str) -> str:
    """A Wednesday's lesson, then the Thursday after without any, and the Monday's lesson next."""
    return translate(
        language,
        "day_lessons.and_then",
        first=T(
            "day_lessons.title.on",
            weekday=T("weekday.2"),
            date=wednesday,
            pupil=pupil,
            lines=lesson_line(language, 2, wednesday),
        ),
        then=T(
            "day_lessons.none_then",
            none=T("day_lessons.none.on", weekday=T("weekday.3"), date=thursday, pupil=pupil),
            next=lesson_line(language, 0, monday),
        ),
    )


@pytest.mark.usefixtures("wednesday")
async def test_a_question_naming_a_few_days_gets_each_days_lessons_on_telegram(
    tmp_path: Path, db_url: str
) -> None:
    world = national(db_url, tmp_path, TELEGRAM_IDS)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            # Kazakh: two dates, the month written once: both April's, in one reply.
            pupil = Chatting(telegram, TELEGRAM_IDS["p1"])  # Нұрлан, kk
            [both] = await pupil.text("8 және 9 сәуірде сабақ бар ма?")
            assert both.text == wednesday_and_thursday("kk", "Нұрлан Сейітов", "08.04", "09.04", "13.04")
            assert choices(both) == []

            # English: two days' numbers alone, gone this month: next month's.
            [english] = await Chatting(telegram, TELEGRAM_IDS["p2"]).text("lessons on the 15th or 16th?")
            assert english.text == wednesday_and_thursday("en", "Аружан Бекова", "15.04", "16.04", "20.04")

            # Russian: Monday and Tuesday, both Nauryz: each named, the next lesson once, after both.
            parent = Chatting(telegram, TELEGRAM_IDS["g1"])  # Айгүл, ru, Нұрлан's mother
            [holidays] = await parent.text("В понедельник или вторник есть уроки?")
            calendar, pupil = SchoolCalendar(national_spans()), "Нұрлан Сейітов"
            monday, tuesday = (calendar.day_off(date(2026, 3, day)) for day in (23, 24))
            assert monday is not None and tuesday is not None  # Nauryz, and the day off moved to it
            assert holidays.text == translate(
                "ru",
                "day_lessons.and_then",
                first=T(
                    "day_lessons.day_off",
                    weekday=T("weekday.0"),
                    date="23.03",
                    name=span_name(monday),
                    pupil=pupil,
                ),
                then=T(
                    "day_lessons.none_then",
                    none=T(
                        "day_lessons.day_off",
                        weekday=T("weekday.1"),
                        date="24.03",
                        name=span_name(tuesday),
                        pupil=pupil,
                    ),
                    next=lesson_line("ru", 0, "30.03"),
                ),
            )
            assert to_staff(db_url) == []

            # «15 или 16 апреля?» alone may answer a teacher's question: both days, and one tap sends it.
            days, offer = await parent.text("15 или 16 апреля?", count=2)
            assert days.text == wednesday_and_thursday("ru", "Нұрлан Сейітов", "15.04", "16.04", "20.04")
            assert offer.text == on_telegram("ru", "day_lessons.offer")
            [whom] = await parent.press(offer, "dl:send:")
            assert whom.text == on_telegram("ru", "threads.ask_whom")

            # A longer message naming two days is for a teacher, as before.
            [message] = await parent.text("Нурлан 15 и 16 апреля не придёт на урок, он заболел")
            assert message.text == on_telegram("ru", "threads.ask_whom")
        finally:
            await running.stop()


@pytest.mark.usefixtures("wednesday")
async def test_by_whatsapp_and_sms_a_few_days_are_answered_in_one_reply(tmp_path: Path, db_url: str) -> None:
    world = national(db_url, tmp_path)
    with session_scope(world.engine) as session:  # Бота (kk) on WhatsApp, Айгүл (ru) by SMS
        session.add(ChannelIdentity(person_id=world.ids["g2"], channel="whatsapp", address=WHATSAPP))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address=SMS))
    world.engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            [both] = await system.say("15 және 16 сәуірде сабақ бар ма?", number=WHATSAPP)
            assert both == wednesday_and_thursday("kk", "Аружан Бекова", "15.04", "16.04", "20.04")
            # By SMS the one reply goes in as many messages as its length takes, each within the cap.
            sent = await system.sms("уроки 8 или 9 апреля?", number=SMS, expect=2)
            assert all(sms.num_segments <= 3 for sms in sent)
            assert "\n".join(sms.text for sms in sent) == wednesday_and_thursday(
                "ru", "Нұрлан Сейітов", "08.04", "09.04", "13.04"
            )
        finally:
            await running.stop()
            engine.dispose()
    assert to_staff(db_url) == []
