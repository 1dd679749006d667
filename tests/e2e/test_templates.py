"""End to end: a class teacher saves an announcement template with placeholders, fills it in and
sends it to the class's parents — over Telegram (through the emulator, a second tap on each of the
new buttons changing nothing) and over WhatsApp (through the Twilio emulator, choosing by number)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import start
from locales import N, translate
from models import ChannelIdentity, Notification
from models.migrate import upgrade
from models.store import make_engine, session_scope
from models.templates import BroadcastTemplate
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage
from sandbox.twilio_emulator import TwilioEmulator
from sandbox.twilio_emulator.records import EmulatedMessage
from tests.e2e.test_whatsapp_flow import launch
from tests.support.attendance import StaffWorld, build_staff_world, chat_from
from tests.support.chatting import Chatting, button, emulator_settings

pytestmark = pytest.mark.flow
USERS = {"c1": 801, "g1": 811, "g2": 812}
TEACHER_PHONE = "+77015550101"
TEXT = "Dear parents, the parents' meeting is on {date} at {time} in {place}."
FILLED = "Dear parents, the parents' meeting is on 12.12 at 18:00 in room 12."
ANSWERED = translate("en", "buttons.answered")


def prepare(db_url: str, media: Path) -> StaffWorld:
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, media)
    chat_from(staff, USERS)
    engine.dispose()
    return staff


async def double_tap(
    telegram: TelegramEmulator, teacher: Chatting, message: ChatMessage, prefix: str
) -> list[str]:
    """Two taps on the same button before the keyboard closes: the texts of the two replies."""
    value = button(message, prefix)
    telegram.press_button(teacher.user_id, message.message_id, value)
    telegram.press_button(teacher.user_id, message.message_id, value)
    return [m.text or "" for m in await teacher.answers(2)]


def stored(db_url: str) -> tuple[list[BroadcastTemplate], list[Notification]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            templates = list(session.exec(select(BroadcastTemplate)).all())
            rows = list(session.exec(select(Notification).where(Notification.kind == "broadcast")).all())
            return templates, rows
    finally:
        engine.dispose()


async def test_a_template_over_telegram_where_a_second_tap_changes_nothing(
    tmp_path: Path, db_url: str
) -> None:
    prepare(db_url, tmp_path / "media")
    async with TelegramEmulator() as telegram:
        for name, user_id in USERS.items():
            telegram.add_user(user_id, name)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            teacher = Chatting(telegram, USERS["c1"])
            [none] = await teacher.text("/templates")
            assert none.text == translate("en", "templates.none")
            twice = await double_tap(telegram, teacher, none, "tp:new")
            assert sorted(twice) == sorted([translate("en", "templates.ask_name"), ANSWERED])
            [ask_text] = await teacher.text("Parents' meeting")
            assert ask_text.text == translate("en", "templates.ask_text", name="Parents' meeting")
            [saved] = await teacher.text(TEXT)
            assert saved.text is not None and "{date}, {time}, {place}" in saved.text

            [first] = [
                text for text in await double_tap(telegram, teacher, saved, "tp:use:") if text != ANSWERED
            ]
            assert "(1/3)" in first and "{date}" in first
            [second] = await teacher.text("12.12")  # still the first value: the second tap changed nothing
            assert second.text is not None and "(2/3)" in second.text
            await teacher.text("18:00")
            [audience] = await teacher.text("room 12")
            message, preview = await teacher.press(audience, "bc:aud:guardians", 2)
            assert message.text is not None and FILLED in message.text
            sent = await teacher.press(preview, "bc:send:normal")
            assert sent[0].text is not None and sent[0].text.startswith(
                N("broadcast.sent", "people", people=3, skipped=0, chat="").render("en")[:12]
            )
            got = [
                (await telegram.wait_for_messages(USERS[g], 1, timeout=10))[0].text or ""
                for g in ("g1", "g2")
            ]

            item, _heading = await teacher.text("/templates", 2)
            deleted = await double_tap(telegram, teacher, item, "tp:del:")
            assert sorted(deleted) == sorted(
                [translate("en", "templates.deleted", name="Parents' meeting"), ANSWERED]
            )
        finally:
            await running.stop()

    assert all(FILLED in text for text in got)
    templates, rows = stored(db_url)
    assert templates == [] and len(rows) == 3  # one announcement, one message to each parent


async def test_a_template_over_whatsapp_by_numbers(tmp_path: Path, db_url: str) -> None:
    staff = prepare(db_url, tmp_path / "media")
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.add(
            ChannelIdentity(person_id=staff.ids["c1"], channel="whatsapp", address=TEACHER_PHONE, priority=0)
        )
    engine.dispose()

    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)

        async def say(text: str, expect: int = 1) -> list[EmulatedMessage]:
            before = len(twilio.messages_to(TEACHER_PHONE))
            result = await twilio.inject_inbound("whatsapp", TEACHER_PHONE, text)
            assert result.http_status == 200, result.error
            await twilio.wait_for_messages(TEACHER_PHONE, before + expect, timeout=15)
            with contextlib.suppress(TimeoutError):
                await twilio.wait_for_messages(TEACHER_PHONE, before + expect + 1, timeout=0.5)
            return twilio.messages_to(TEACHER_PHONE)[before:]

        try:
            # WhatsApp shows the choices as buttons (or a list); their numbers, typed, pick them too.
            [none] = await say("/templates")
            assert number_of(none, translate("en", "templates.choice.new")) == "1"
            assert [m.text for m in await say("1")] == [translate("en", "templates.ask_name")]
            await say("Documents")
            [saved] = await say("Please bring {document} by {date}.")
            assert number_of(saved, translate("en", "templates.choice.use")) == "1"
            [first] = await say("1")
            assert "{document}" in first.text and "(1/2)" in first.text
            await say("the birth certificate")
            [audience] = await say("15.12")
            replies = await say(number_of(audience, translate("en", "broadcast.audience.guardians")))
            assert any("Please bring the birth certificate by 15.12." in r.text for r in replies)
            [send] = [n for r in replies if (n := number_of(r, translate("en", "broadcast.send")))]
            done = await say(send)
            sent = N("broadcast.sent", "people", people=3, skipped=0, chat="")
            assert done[0].text.startswith(sent.render("en")[:12])
        finally:
            await running.stop()
            engine.dispose()

    _templates, rows = stored(db_url)
    assert len(rows) == 3


def number_of(message: EmulatedMessage, title: str) -> str:
    """The number that picks the choice with this title: its place among the message's buttons or
    list items; "" when the message offers no such choice."""
    options = message.interactive["options"] if message.interactive else []
    return next((str(place) for place, o in enumerate(options, start=1) if o["title"] == title), "")
