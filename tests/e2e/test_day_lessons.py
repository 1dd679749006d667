"""End to end: «бүгін қандай сабақ бар?», «какие завтра уроки?», "what lessons today?" — a pupil's or
parent's question about a day's lessons is answered with that day's lessons (and, for a day without
any, the next one), and reaches no teacher; a message that may be meant for a teacher gets the day's
lessons too, and goes to the teacher with one tap. On Telegram, WhatsApp and SMS."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import start
from locales import T, translate
from models import ChannelIdentity, Notification
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, World
from tests.support.threads import STAFF, WEDNESDAY, all_on_telegram, build_school

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2300 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
TODAY = WEDNESDAY.strftime("%d.%m")  # A1 meets today at 15:00
TOMORROW = "19.03"  # a Thursday: no lesson for A1; the next is on Monday
FRIDAY, MONDAY = "20.03", "23.03"
WHATSAPP, SMS = "+77015550301", "+77015550302"


def school(db_url: str, tmp_path: Path, telegram_ids: dict[str, int] | None = None) -> World:
    engine = make_engine(db_url)
    upgrade(engine)
    return build_school(engine, tmp_path / "media", telegram_ids)


def to_staff(db_url: str) -> list[Notification]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = list(session.exec(select(Notification).where(Notification.kind == "thread.to_staff")).all())
    engine.dispose()
    return found


def today_line(language: str) -> str:
    return lesson_line(language, 2, TODAY)


def lesson_line(language: str, weekday: int, day: str) -> str:
    return T(
        "record.lesson",
        weekday=T(f"record.weekday.{weekday}"),
        date=day,
        time="15:00",
        subject=T("subject.algebra"),
        link=T("record.lesson.link", link="https://x"),
    ).render(language)


@pytest.mark.usefixtures("wednesday")
async def test_a_question_about_todays_or_tomorrows_lessons_gets_the_lessons_on_telegram(
    tmp_path: Path, db_url: str
) -> None:
    world = school(db_url, tmp_path, TELEGRAM_IDS)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            # Kazakh: a pupil asks about today.
            pupil = Chatting(telegram, TELEGRAM_IDS["p1"])  # Нұрлан, kk
            [today] = await pupil.text("бүгін қандай сабақ бар?")
            lines = today_line("kk")
            title = translate("kk", "day_lessons.title.0", date=TODAY, pupil="Нұрлан Сейітов", lines=lines)
            assert today.text == title and choices(today) == []
            # English: a pupil asks the same.
            [english] = await Chatting(telegram, TELEGRAM_IDS["p2"]).text("What lessons today?")
            assert english.text == translate(
                "en", "day_lessons.title.0", date=TODAY, pupil="Аружан Бекова", lines=today_line("en")
            )
            # A day of the week: the next Monday's lessons, in the case the question puts it in.
            [monday] = await pupil.text("Дүйсенбіде қандай сабақтар бар?")
            assert monday.text == translate(
                "kk",
                "day_lessons.title.on",
                weekday=T("weekday.0"),
                date=MONDAY,
                pupil="Нұрлан Сейітов",
                lines=lesson_line("kk", 0, MONDAY),
            )
            # Russian: a parent asks about tomorrow, a day without lessons: and the next one.
            parent = Chatting(telegram, TELEGRAM_IDS["g1"])  # Айгүл, ru, Нұрлан's mother
            [tomorrow] = await parent.text("Какие завтра уроки?")
            none = translate("ru", "day_lessons.none.1", date=TOMORROW, pupil="Нұрлан Сейітов")
            assert tomorrow.text is not None and tomorrow.text.startswith(none + "\n")
            assert "Пн 23.03, 15:00" in tomorrow.text
            # And about Friday, a day without lessons: the next one too.
            [friday] = await parent.text("А в пятницу есть занятия?")
            none = translate(
                "ru", "day_lessons.none.on", weekday=T("weekday.4"), date=FRIDAY, pupil="Нұрлан Сейітов"
            )
            assert friday.text is not None and friday.text.startswith(none + "\n")
            assert "Пн 23.03, 15:00" in friday.text
            # Nothing of that went to a teacher.
            assert to_staff(db_url) == []

            # A message that may be for a teacher: today's lessons, and one tap sends it on.
            day, offer = await parent.text("Нурлан сегодня на уроке будет?", count=2)
            assert day.text is not None and day.text.startswith(
                translate("ru", "day_lessons.title.0", date=TODAY, pupil="Нұрлан Сейітов", lines="")
            )
            assert offer.text == on_telegram("ru", "day_lessons.offer")
            [whom] = await parent.press(offer, "dl:send:")
            assert whom.text == on_telegram("ru", "threads.ask_whom")
            [sent] = await parent.press(whom, "thr:to:")
            assert sent.text is not None and sent.text.startswith("✅")
            tutor = Chatting(telegram, TELEGRAM_IDS["t1"])
            [question] = await tutor.answers(1)
            assert question.text is not None and "Нурлан сегодня на уроке будет?" in question.text
            assert len(to_staff(db_url)) == 1

            # A message about lessons that is plainly for a teacher goes as before.
            [asked] = await parent.text("Нурлан сегодня не придёт на урок, он заболел")
            assert asked.text == on_telegram("ru", "threads.ask_whom")
        finally:
            await running.stop()


@pytest.mark.usefixtures("wednesday")
async def test_by_whatsapp_and_sms_the_question_gets_the_days_lessons(tmp_path: Path, db_url: str) -> None:
    world = school(db_url, tmp_path)
    with session_scope(world.engine) as session:  # Бота (kk) on WhatsApp, Айгүл (ru) by SMS
        session.add(ChannelIdentity(person_id=world.ids["g2"], channel="whatsapp", address=WHATSAPP))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address=SMS))
    world.engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            [today] = await system.say("Бүгін сабақ бар ма?", number=WHATSAPP)
            assert today == translate(
                "kk", "day_lessons.title.0", date=TODAY, pupil="Аружан Бекова", lines=today_line("kk")
            )
            [tomorrow] = await system.sms("расписание на завтра", number=SMS)
            none = translate("ru", "day_lessons.none.1", date=TOMORROW, pupil="Нұрлан Сейітов")
            assert tomorrow.text.startswith(none) and "Пн 23.03, 15:00" in tomorrow.text
            assert tomorrow.num_segments <= 3
        finally:
            await running.stop()
            engine.dispose()
    assert to_staff(db_url) == []
