"""End to end over WhatsApp and SMS (the Twilio emulator) with the tutor on Telegram (its emulator):
a parent writes on WhatsApp and answers the numbered question whom; the tutor answers by typing the
thread's reference ("#1 …"); the answer reaches WhatsApp, and the parent answers back by SMS with the
same reference. A parent reachable only by SMS gets every text without a slash command."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from models import ChannelIdentity, Person
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from tests.e2e.test_whatsapp_flow import launch
from tests.support.chatting import Chatting
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, WEDNESDAY, build_school

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 950 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
TUTOR = TELEGRAM_IDS["t1"]
WHATSAPP_PARENT, SMS_PARENT = "+77015550101", "+77015550102"


@pytest.fixture
def wednesday() -> Iterator[None]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield


def seed(db_url: str, tmp_path: Path) -> None:
    """g1 on WhatsApp then SMS at one number, g2 by SMS only: neither on Telegram."""
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_school(engine, tmp_path / "media", TELEGRAM_IDS)
    with session_scope(engine) as session:
        for name, number, channels in (
            ("g1", WHATSAPP_PARENT, ("whatsapp", "sms")),
            ("g2", SMS_PARENT, ("sms",)),
        ):
            person = session.get(Person, world.ids[name])
            assert person is not None
            person.phone = number
            for identity in session.exec(
                select(ChannelIdentity).where(ChannelIdentity.person_id == person.id)
            ):
                session.delete(identity)
            for priority, channel in enumerate(channels, start=1):
                session.add(
                    ChannelIdentity(person_id=person.id, channel=channel, address=number, priority=priority)
                )
    engine.dispose()


async def replies(twilio: TwilioEmulator, number: str, before: int, expect: int) -> list[str]:
    await twilio.wait_for_messages(number, before + expect, timeout=15)
    with contextlib.suppress(TimeoutError):
        await twilio.wait_for_messages(number, before + expect + 1, timeout=0.5)
    return [m.text for m in twilio.messages_to(number)[before:]]


async def say(twilio: TwilioEmulator, channel: str, number: str, text: str, expect: int = 1) -> list[str]:
    before = len(twilio.messages_to(number))
    result = await twilio.inject_inbound(channel, number, text)  # type: ignore[arg-type]
    assert result.http_status == 200, result.error
    return await replies(twilio, number, before, expect)


@pytest.mark.usefixtures("wednesday")
async def test_a_thread_on_whatsapp_and_sms_by_its_reference(tmp_path: Path, db_url: str) -> None:
    seed(db_url, tmp_path)
    async with TelegramEmulator() as telegram, TwilioEmulator() as twilio:
        for name, user_id in TELEGRAM_IDS.items():
            telegram.add_user(user_id, {**PEOPLE, **STAFF}[name][0])
        running, engine = await launch(
            tmp_path, db_url, twilio, telegram_bot_token=telegram.token, telegram_api_url=telegram.base_url
        )
        try:
            tutor = Chatting(telegram, TUTOR)

            # WhatsApp: the question whom comes with its choices as buttons; the number typed works too.
            [whom] = await say(twilio, "whatsapp", WHATSAPP_PARENT, "Добрый день, есть вопрос о занятиях")
            shown = twilio.messages_to(WHATSAPP_PARENT)[-1].interactive
            assert shown is not None and len(shown["options"]) == 3 and "1 " not in whom
            [sent] = await say(twilio, "whatsapp", WHATSAPP_PARENT, "1")
            ref = re.search(r"#(\d+)", sent)
            assert ref is not None and "цифровому наставнику" in sent
            [question] = await tutor.answers(1)
            assert question.text is not None and "Добрый день, есть вопрос о занятиях" in question.text

            # The tutor types the reference: the answer reaches the parent's WhatsApp.
            before = len(twilio.messages_to(WHATSAPP_PARENT))
            [answered] = await tutor.text(f"#{ref.group(1)} Ертең 15:00-де сабақ болады.")
            assert answered.text is not None and answered.text.startswith("✅")
            [answer] = await replies(twilio, WHATSAPP_PARENT, before, 1)
            assert "Ертең 15:00-де сабақ болады." in answer and f"#{ref.group(1)}" in answer
            assert twilio.messages_to(WHATSAPP_PARENT)[-1].channel == "whatsapp"

            # The parent answers back by SMS with the reference; the tutor receives it.
            [again] = await say(twilio, "sms", WHATSAPP_PARENT, f"#{ref.group(1)} Спасибо, будем!")
            assert again.startswith("✅")
            [thanks] = await tutor.answers(1)
            assert thanks.text is not None and "Спасибо, будем!" in thanks.text

            # SMS only: the subject chooses the tutor; nothing sent names a slash command.
            [direct] = await say(twilio, "sms", SMS_PARENT, "Алгебра бойынша сұрақ: бүгін сабақ бар ма?")
            second = re.search(r"#(\d+)", direct)
            assert second is not None
            await tutor.answers(1)
            before = len(twilio.messages_to(SMS_PARENT))
            await tutor.text(f"#{second.group(1)} Иә, 15:00-де.")
            [sms_answer] = await replies(twilio, SMS_PARENT, before, 1)
            assert "Иә, 15:00-де." in sms_answer
            assert all("/" not in m.text for m in twilio.messages_to(SMS_PARENT))
        finally:
            await running.stop()
            engine.dispose()
