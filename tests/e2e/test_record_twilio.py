"""End to end over WhatsApp and SMS through the Twilio emulator: a pupil reads their homework with
/homework and turns the page by typing its number; a parent by SMS opens the same views from the
numbered menu or with a plain word, without a slash command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from locales import translate
from models import ChannelIdentity
from models.clock import utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_whatsapp_flow import System, launch
from tests.test_homework_support import build_world

pytestmark = pytest.mark.flow

PUPIL = "+77015550101"  # p1 (Kazakh) on WhatsApp
PARENT = "+77015550102"  # g1 (Russian), p1's parent, by SMS


async def test_homework_over_whatsapp_and_the_parents_views_by_sms(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_world(engine, tmp_path / "media")
    for n in range(6):
        world.homework(text=f"Есеп {n + 1}", due=utcnow() + timedelta(days=n + 3))  # no reminder yet
    with session_scope(engine) as session:
        session.add(ChannelIdentity(person_id=world.ids["p1"], channel="whatsapp", address=PUPIL))
        session.add(ChannelIdentity(person_id=world.ids["g1"], channel="sms", address=PARENT))
    engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            # WhatsApp: /homework, five lines and "1 Тағы"; the number typed turns the page.
            [first] = await system.say("/homework", number=PUPIL)
            assert first.startswith("Үй тапсырмалары — Нұрлан Сейітов (1/2)\n\n○ Алгебра · Есеп 1")
            more = translate("kk", "record.more")
            assert first.endswith(f"\n\n1 {more}\n\n{translate('kk', 'whatsapp.answer_with_number')}")
            [second] = await system.say("1", number=PUPIL)
            assert second.startswith("Үй тапсырмалары — Нұрлан Сейітов (2/2)\n\n○ Алгебра · Есеп 6")

            # SMS: the menu word brings the numbered views; "3" is homework; pages of three.
            async def sms(text: str) -> str:
                before = len(twilio.messages_to(PARENT))
                result = await twilio.inject_inbound("sms", PARENT, text)
                assert result.http_status == 200
                [reply] = await system.replies(PARENT, before)
                return reply

            menu = await sms("Меню")
            assert (
                "\n1 Оценки\n2 Посещаемость\n3 Домашние задания\n4 Расписание\n5 Еженедельная сводка\n"
                in menu
            )
            page = await sms("3")
            assert page.startswith(
                "Домашние задания. Ученик: Нұрлан Сейітов (1/2)\n\n○ Алгебра · Есеп 1 — срок"
            )
            assert page.count("○") == 3
            assert await sms("ОЦЕНКИ") == translate("ru", "record.gr.empty", pupil="Нұрлан Сейітов")
            assert {m.channel for m in twilio.messages_to(PARENT)} == {"sms"}
        finally:
            await running.stop()
            engine.dispose()
