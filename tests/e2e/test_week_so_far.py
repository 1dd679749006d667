"""End to end: a parent asks how the week is going — ШОЛУ / СВОДКА / SUMMARY, typed, or the menu's
choice — and gets it now, the digest's content for the week so far, with the digest's settings one
choice below it; on Telegram in each language, and by SMS and WhatsApp through the Twilio emulator."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import Running, start
from locales import T, translate
from models import Attendance, ChannelIdentity, Lesson, Person
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, World
from tests.support.threads import ALMATY, STAFF, WEDNESDAY, all_on_telegram, build_school, speaks

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2100 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
MONDAY = WEDNESDAY.date() - timedelta(days=2)
FRIDAY = datetime.combine(WEDNESDAY.date() + timedelta(days=2), time(18), ALMATY)
WORDS = {"kk": "ШОЛУ", "ru": "сводка", "en": "Summary"}
SMS_PARENT = "+77015550202"


def the_week(db_url: str, tmp_path: Path, telegram_ids: dict[str, int] | None = None) -> World:
    """Аружан (p2, A1) missed Monday's algebra lesson; an algebra homework is due on Friday."""
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_school(engine, tmp_path / "media", telegram_ids)
    with session_scope(engine) as session:
        monday = session.exec(
            select(Lesson).where(Lesson.group_id == world.groups["A1"], Lesson.weekday == 0)
        ).one()
        session.add(
            Attendance(
                lesson_id=monday.id or 0,
                on_date=MONDAY,
                pupil_id=world.ids["p2"],
                status="absent",
                marked_at=datetime.combine(MONDAY, time(15, 5), ALMATY),
            )
        )
    world.homework(text="Апта есебі", due=FRIDAY)
    return world


def expected_start(language: str) -> str:
    first, last = MONDAY.strftime("%d.%m"), WEDNESDAY.strftime("%d.%m")
    return translate(language, "summary.family", first=first, last=last, children="")


@pytest.mark.usefixtures("wednesday")
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_word_gives_the_week_so_far_and_the_settings_are_one_tap_away(
    tmp_path: Path, db_url: str, language: str
) -> None:
    world = the_week(db_url, tmp_path, TELEGRAM_IDS)
    speaks(world, "g2", language)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start_bot(telegram, tmp_path, db_url)
        try:
            parent = Chatting(telegram, TELEGRAM_IDS["g2"])  # Бота Бекова, Аружан's parent
            [summary] = await parent.text(WORDS[language])
            text = summary.text or ""
            assert text.startswith(expected_start(language).rstrip()), text
            assert "Аружан Бекова" in text
            missed = T("digest.lessons_missed", attended=0, missed=1, items="").render(language)
            assert missed.rstrip() in text  # Monday's absence
            assert translate(language, "summary.deadlines", items="").rstrip() in text
            assert "Апта есебі" in text  # Friday's homework
            assert translate(language, "summary.next_lessons", items="").rstrip() in text
            assert choices(summary) == ["news:ask"]
            [settings] = await parent.press(summary, "news:ask")
            assert settings.text is not None and settings.text.startswith(
                on_telegram(language, "news.ask", current="", when="").split("\n")[0]
            )
            assert choices(settings) == ["news:both", "news:digest", "news:events"]
            # The menu's choice is the same summary.
            [menu] = await parent.text("/help")
            assert "sum:show" in choices(menu)
            [again] = await parent.press(menu, "sum:show")
            assert again.text == summary.text
        finally:
            await running.stop()


async def start_bot(telegram: TelegramEmulator, tmp_path: Path, db_url: str) -> Running:
    return await start(emulator_settings(telegram, tmp_path, db_url))


@pytest.mark.usefixtures("wednesday")
async def test_by_sms_and_whatsapp_the_word_gives_the_week_so_far(tmp_path: Path, db_url: str) -> None:
    world = the_week(db_url, tmp_path)
    with session_scope(world.engine) as session:  # Бота (kk) by WhatsApp, Айгүл (ru) by SMS
        session.add(ChannelIdentity(person_id=world.ids["g2"], channel="whatsapp", address=SMS_PARENT))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address="+77015550203"))
    world.engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            [summary] = await system.say("шолу", number=SMS_PARENT)
            assert summary.startswith(expected_start("kk").rstrip()) and "Апта есебі" in summary
            asked = system.last(SMS_PARENT)
            assert asked.interactive is not None
            [(option, title)] = [(o["id"], o["title"]) for o in asked.interactive["options"]]
            assert title == translate("kk", "summary.settings")
            [settings] = await system.tap(asked, option)
            assert settings.startswith(translate("kk", "news.ask", current="", when="").split("\n")[0])

            sent = await system.sms("СВОДКА", number="+77015550203")
            text = "\n".join(part.text for part in sent)  # as many SMS as it takes
            assert text.startswith(expected_start("ru").rstrip())
            assert "Нұрлан Сейітов" in text  # Айгүл's son, in A1 too
            assert "\n1 " + translate("ru", "summary.settings") in text
            assert all(part.num_segments <= 3 for part in sent)
            chosen = await system.sms("1", number="+77015550203")
            assert chosen[0].text.startswith(translate("ru", "news.ask", current="", when="").split("\n")[0])
        finally:
            await running.stop()
            engine.dispose()

    with Session(make_engine(db_url)) as session:
        assert session.exec(select(Person).where(Person.id == world.ids["g2"])).one().family_news == "both"
