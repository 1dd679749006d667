"""A class teacher on WhatsApp: choices that do not fit three buttons come as a list, picked with a
tap (ListId) as a typed number would; an announcement too long for an SMS reaches the SMS families
cut, and the delivery report says so instead of counting it delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from locales import T
from models import ChannelIdentity, Notification, TutoringGroup
from models.clock import utcnow
from models.migrate import upgrade
from models.outbox import DeliveryAttempt
from models.store import make_engine, session_scope
from sandbox.twilio_emulator import TwilioEmulator
from sandbox.twilio_emulator.records import EmulatedMessage
from tests.e2e.test_whatsapp_flow import System, buttons, launch
from tests.support.attendance import build_staff_world

pytestmark = pytest.mark.flow

NUMBERS = {"c1": "+77010000101", "g1": "+77010000111", "g2": "+77010000112", "g3": "+77010000113"}
CHANNELS = {"c1": "whatsapp", "g1": "sms", "g2": "whatsapp", "g3": "sms"}
# Longer than three SMS segments (201 UCS-2 characters), shorter than a WhatsApp message.
LONG = (
    "Құрметті ата-аналар! Жұма күні сағат 18:00-де мектептің акт залында жалпы ата-аналар жиналысы "
    "өтеді. Күн тәртібінде: тоқсан қорытындысы, қосымша онлайн сабақтар кестесі, Қазпошта арқылы "
    "жұмыс жинау тәртібі және жазғы демалыс. Келуіңізді сұраймыз."
)


@pytest.fixture
async def system(tmp_path: Path, db_url: str) -> AsyncIterator[System]:
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, tmp_path / "media")
    with session_scope(engine) as session:
        for name, number in NUMBERS.items():
            session.add(
                ChannelIdentity(
                    person_id=staff.ids[name],
                    channel=CHANNELS[name],
                    address=number,
                    priority=-1,  # before their Telegram, which this process does not run
                    last_inbound_at=utcnow() if name == "g2" else None,
                )
            )
    engine.dispose()
    async with TwilioEmulator() as twilio:
        twilio.set_last_inbound(NUMBERS["g2"], utcnow())  # g2 wrote today: free text may go
        running, engine = await launch(tmp_path, db_url, twilio)
        try:
            yield System(twilio, running, engine, staff.ids)
        finally:
            await running.stop()
            engine.dispose()


async def settled(system: System, timeout: float = 15.0) -> None:
    """Until every outbox row has left pending and sending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        assert system.running.outbox is not None
        system.running.outbox.notify()
        with Session(system.engine) as session:
            statuses = set(session.exec(select(Notification.status)).all())
        if statuses and not statuses & {"pending", "sending"}:
            await system.twilio.settle()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"outbox not settled: {statuses}")


def _group_id(system: System, code: str) -> int:
    with Session(system.engine) as session:
        group = session.exec(select(TutoringGroup).where(TutoringGroup.code == code)).one()
        assert group.id is not None
        return group.id


def options(message: EmulatedMessage) -> dict[str, dict[str, str]]:
    assert message.interactive is not None, message.text
    return {option["id"]: option for option in message.interactive["options"]}


async def test_a_class_teacher_picks_from_lists_and_sees_the_cut_sms_in_the_report(system: System) -> None:
    teacher = NUMBERS["c1"]
    await system.say("/broadcast", number=teacher)
    await system.say(LONG, number=teacher)
    audience = system.last(teacher)
    assert audience.interactive is not None and audience.interactive["type"] == "twilio/list-picker"
    assert audience.interactive["button"] == T("whatsapp.list_button").render("en")
    group = options(audience)[f"bc:aud:group:{_group_id(system, 'A1')}"]
    assert len(group["title"]) <= 24 and group["title"].endswith("…")  # cut at a word for the list
    assert group["description"] == "Pupils of a group: Algebra, grade 8 (A1)"

    await system.tap(audience, "bc:aud:guardians", expect=2)  # the preview and its question
    question = system.last(teacher)
    assert question.interactive is not None and question.interactive["type"] == "twilio/list-picker"
    assert list(options(question)) == [
        "bc:send:normal",
        "bc:send:urgent",
        "bc:version:ru",
        "bc:later",
        "bc:cancel",
    ]
    await system.tap(question, "bc:send:normal")
    done = system.last(teacher)
    assert buttons(done)[0][0].startswith("bc:report:")  # one choice: a quick-reply button
    await settled(system)

    to_g1, to_g3 = (system.twilio.messages_to(NUMBERS[n], "sms")[-1] for n in ("g1", "g3"))
    to_g2 = system.twilio.messages_to(NUMBERS["g2"], "whatsapp")[-1]
    assert to_g1.num_segments <= 3 and to_g3.num_segments <= 3 and to_g1.text.endswith("…")
    assert to_g1.text.startswith("📢 Класс 8A") and "(Объявление написано на казахском языке)" in to_g1.text
    assert to_g2.text.endswith(LONG)  # WhatsApp carries it whole
    with Session(system.engine) as session:
        outcomes = sorted(a.outcome for a in session.exec(select(DeliveryAttempt)).all())
    assert outcomes == ["cut", "cut", "delivered"]

    [report] = await system.tap(done, buttons(done)[0][0])
    assert "Delivered: 1\n" in report
    assert "Delivered cut short (too long for an SMS): 2 (Айгүл Сейітова, Гүлнар Касымова)" in report
