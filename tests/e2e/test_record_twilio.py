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
from tests.support.homework import build_world

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
            # WhatsApp: /homework, five lines and a «Тағы» button; pressing it turns the page.
            [first] = await system.say("/homework", number=PUPIL)
            assert first.startswith("Үй тапсырмалары — Нұрлан Сейітов (1/2)\n\n○ Алгебра · Есеп 1")
            shown = twilio.messages_to(PUPIL)[-1].interactive
            assert shown is not None and "\n1 " not in first
            [(more_id, more)] = [(option["id"], option["title"]) for option in shown["options"]]
            assert more == translate("kk", "record.more")
            before = len(twilio.messages_to(PUPIL))
            pressed = await twilio.inject_inbound("whatsapp", PUPIL, button_payload=more_id, button_text=more)
            assert pressed.http_status == 200
            [second] = await system.replies(PUPIL, before)
            assert second.startswith("Үй тапсырмалары — Нұрлан Сейітов (2/2)\n\n○ Алгебра · Есеп 6")

            # SMS: the menu word brings the numbered views; "3" is homework; pages of three.
            async def sms(text: str, parts: int = 1) -> str:
                before = len(twilio.messages_to(PARENT))
                result = await twilio.inject_inbound("sms", PARENT, text)
                assert result.http_status == 200
                replies = await system.replies(PARENT, before, parts)
                assert len(replies) == parts, replies
                return "\n".join(replies)

            menu = await sms("Меню", 5)  # each SMS within the cap of three segments
            assert (
                "\n1 Оценки\n2 Посещаемость\n3 Домашние задания\n4 Расписание\n5 Сводка за неделю\n" in menu
            )
            page = await sms("3")
            assert page.startswith(
                "Домашние задания. Ученик: Нұрлан Сейітов (1/2)\n\n○ Алгебра · Есеп 1 — срок"
            )
            assert page.count("○") == 3
            assert await sms("ОЦЕНКИ") == translate("ru", "record.gr.empty", pupil="Нұрлан Сейітов")
            assert {m.channel for m in twilio.messages_to(PARENT)} == {"sms"}
            assert all(m.num_segments <= 3 for m in twilio.messages_to(PARENT))
        finally:
            await running.stop()
            engine.dispose()
