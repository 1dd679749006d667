"""End to end over HTTP against the Telegram emulator, delivered by the real outbox dispatcher: a class
teacher links the class group chat and broadcasts to it and to every family; a tutor marks an
absence and the guardian is told."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bots.app import start
from models import AuditLog, Broadcast, ChannelIdentity, Lesson, Person, SchoolClass
from models.clock import utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.attendance import StaffWorld, build_staff_world, chat_from
from tests.support.chatting import button, emulator_settings, on_telegram

pytestmark = pytest.mark.flow
GROUP_CHAT = -100500
USERS = {"c1": 701, "t1": 702, "g1": 711, "g2": 712, "g3": 713}


def prepare(db_url: str, media: Path) -> StaffWorld:
    """The staff world with Telegram user ids for the people who chat here; g3 has no channel at all.
    The lesson of A1 took place yesterday, so an absence notice is due at once."""
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, media)
    chat_from(staff, USERS)
    with session_scope(engine) as session:
        g3 = select(ChannelIdentity).where(ChannelIdentity.person_id == staff.ids["g3"])
        session.delete(session.exec(g3).one())
        lesson = session.get(Lesson, staff.lessons["A1"])
        assert lesson is not None
        yesterday = (utcnow() + timedelta(hours=5) - timedelta(days=1)).date()
        lesson.weekday, lesson.start_time = yesterday.weekday(), time(15, 0)
        staff.lesson_date = yesterday
        for name in ("g1", "g2"):
            person = session.get(Person, staff.ids[name])
            assert person is not None
            person.locale = "ru" if name == "g1" else "kk"
    engine.dispose()
    return staff


async def link_code(telegram: TelegramEmulator, teacher: int) -> str:
    """The one-time code a class teacher gets in private for linking the class chat (their first
    message from the bot)."""
    telegram.inject_text(teacher, "/link")
    [issued] = await telegram.wait_for_messages(teacher, 1, timeout=10)
    found = re.search(r"/link ([A-Z0-9]+)", issued.text or "")
    assert found is not None
    return found.group(1)


async def test_link_broadcast_report_and_absence_over_http(tmp_path: Path, db_url: str) -> None:
    staff = prepare(db_url, tmp_path / "media")
    c1, t1, g1, g2 = USERS["c1"], USERS["t1"], USERS["g1"], USERS["g2"]
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            for name, user_id in USERS.items():
                telegram.add_user(user_id, name)
            telegram.add_group(GROUP_CHAT, "8A ата-аналар", members=[g1, g2], creator_id=c1)
            telegram.add_bot_to_group(GROUP_CHAT, c1)

            # The class teacher gets a code in private and sends it in the group chat.
            code = await link_code(telegram, c1)
            telegram.inject_text(g1, f"/link {code}", chat_id=GROUP_CHAT)
            [refused] = await telegram.wait_for_messages(GROUP_CHAT, 1, timeout=10)
            telegram.inject_text(c1, f"/link {code}", chat_id=GROUP_CHAT)
            linked = (await telegram.wait_for_messages(GROUP_CHAT, 2, timeout=10))[-1]

            # An announcement to the class chat and all guardians.
            telegram.inject_text(c1, "/broadcast")
            await telegram.wait_for_messages(c1, 2, timeout=10)
            telegram.inject_text(c1, "Ата-аналар жиналысы жұма күні 18:00-де.")
            audience = (await telegram.wait_for_messages(c1, 3, timeout=10))[-1]
            telegram.press_button(c1, audience.message_id, "bc:aud:both")
            preview = await telegram.wait_for_messages(c1, 6, timeout=10)
            telegram.press_button(c1, preview[4].message_id, "bc:send:normal")
            sent = (await telegram.wait_for_messages(c1, 7, timeout=10))[-1]
            posted = (await telegram.wait_for_messages(GROUP_CHAT, 3, timeout=10))[-1]
            [to_g1] = await telegram.wait_for_messages(g1, 1, timeout=10)
            [to_g2] = await telegram.wait_for_messages(g2, 1, timeout=10)
            for attempt in range(50):  # settled by the dispatcher shortly: g3 has no channel, and
                # a delivery is recorded just after the message reaches its chat
                telegram.press_button(c1, sent.message_id, button(sent, "bc:report:"))
                report = (await telegram.wait_for_messages(c1, 8 + attempt, timeout=10))[-1]
                if "Гүлнар Касымова" in (report.text or "") and "Delivered: 2" in (report.text or ""):
                    break

            # The tutor marks p1 absent; the guardian is told through the outbox.
            telegram.inject_text(t1, "/attendance")
            sheet = await telegram.wait_for_messages(t1, 4, timeout=10)
            row = next(m for m in sheet if (m.text or "").startswith("Нұрлан Сейітов"))
            telegram.press_button(t1, row.message_id, button(row, "att:m:").removesuffix(":p") + ":a")
            await telegram.wait_for_messages(t1, 5, timeout=10)
            absence = (await telegram.wait_for_messages(g1, 2, timeout=10))[-1]
        finally:
            await running.stop()

    assert refused.text == on_telegram("kk", "broadcast.link.not_teacher")
    assert linked.text == on_telegram("kk", "broadcast.link.done", class_name="8A")
    message = {
        "class_name": "8A",
        "teacher": "Марат Әлиев",
        "text": "Ата-аналар жиналысы жұма күні 18:00-де.",
    }
    assert posted.text == on_telegram("kk", "broadcast.message", **message)  # the chat reads Kazakh
    # No Russian version: the Russian-speaking family reads the Kazakh text under a line saying so.
    note = on_telegram("ru", "broadcast.written_in.kk")
    assert to_g1.text == on_telegram(
        "ru", "broadcast.message", **(message | {"text": f"{note}\n{message['text']}"})
    )
    assert note == "(Объявление написано на казахском языке)"
    assert to_g2.text == on_telegram("kk", "broadcast.message", **message)
    assert "Delivered: 2" in (report.text or "") and "No channel: 1 (Гүлнар Касымова)" in (report.text or "")
    assert "Posted in the class chat." in (report.text or "")
    assert absence.text is not None and "Нұрлан Сейітов" in absence.text
    assert absence.text == on_telegram(
        "ru",
        "attendance.absent_guardian",
        pupil="Нұрлан Сейітов",
        subject=on_telegram("ru", "subject.algebra"),
        date=staff.lesson_date.strftime("%d.%m"),
        time="15:00",
    )


async def test_an_announcement_in_two_languages_reaches_each_family_in_its_own(
    tmp_path: Path, db_url: str
) -> None:
    """The class teacher writes in Kazakh and adds a Russian version at the preview: the Russian-
    speaking family (g1) reads the Russian one, the Kazakh-speaking family (g2) the Kazakh one, and
    the class chat, read by both, gets both."""
    prepare(db_url, tmp_path / "media")
    c1, g1, g2 = USERS["c1"], USERS["g1"], USERS["g2"]
    kazakh, russian = "Ертең ата-аналар жиналысы 18:00-де.", "Завтра родительское собрание в 18:00."
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            for name, user_id in USERS.items():
                telegram.add_user(user_id, name)
            telegram.add_group(GROUP_CHAT, "8A", members=[g1, g2], creator_id=c1)
            code = await link_code(telegram, c1)
            telegram.inject_text(c1, f"/link {code}", chat_id=GROUP_CHAT)
            await telegram.wait_for_messages(GROUP_CHAT, 1, timeout=10)

            telegram.inject_text(c1, "/broadcast")
            await telegram.wait_for_messages(c1, 2, timeout=10)
            telegram.inject_text(c1, kazakh)
            audience = (await telegram.wait_for_messages(c1, 3, timeout=10))[-1]
            telegram.press_button(c1, audience.message_id, "bc:aud:both")
            first_preview = await telegram.wait_for_messages(c1, 6, timeout=10)
            telegram.press_button(c1, first_preview[4].message_id, "bc:version:ru")
            asked = (await telegram.wait_for_messages(c1, 7, timeout=10))[-1]
            telegram.inject_text(c1, russian)
            preview = (await telegram.wait_for_messages(c1, 11, timeout=10))[-4:]
            telegram.press_button(c1, preview[2].message_id, "bc:send:normal")
            await telegram.wait_for_messages(c1, 12, timeout=10)
            posted = (await telegram.wait_for_messages(GROUP_CHAT, 2, timeout=10))[-1]
            [to_g1] = await telegram.wait_for_messages(g1, 1, timeout=10)
            [to_g2] = await telegram.wait_for_messages(g2, 1, timeout=10)
        finally:
            await running.stop()
    assert asked.text == on_telegram("en", "broadcast.ask_version.ru")  # c1 reads English
    shown_kk, shown_ru = preview[0].text or "", preview[1].text or ""
    assert shown_kk.endswith(kazakh) and shown_kk.startswith("📢 8A сыныбы")
    assert shown_ru.endswith(russian) and shown_ru.startswith("📢 Класс 8A")
    assert "bc:version:" not in str(preview[2].inline_keyboard)  # one version is all there is to add
    message = {"class_name": "8A", "teacher": "Марат Әлиев"}
    assert to_g1.text == on_telegram("ru", "broadcast.message", text=russian, **message)
    assert to_g2.text == on_telegram("kk", "broadcast.message", text=kazakh, **message)
    assert posted.text == on_telegram("kk", "broadcast.message", text=f"{kazakh}\n\n{russian}", **message)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        broadcast = session.exec(select(Broadcast)).one()
        assert (broadcast.text, broadcast.language, broadcast.translations) == (kazakh, "kk", {"ru": russian})
    engine.dispose()


async def test_the_class_follows_its_chat_to_a_supergroup_and_is_unlinked_when_the_bot_leaves(
    tmp_path: Path, db_url: str
) -> None:
    staff = prepare(db_url, tmp_path / "media")
    c1, g1 = USERS["c1"], USERS["g1"]
    async with TelegramEmulator() as telegram:
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            for name, user_id in USERS.items():
                telegram.add_user(user_id, name)
            telegram.add_group(GROUP_CHAT, "8A", members=[g1], creator_id=c1)
            code = await link_code(telegram, c1)
            telegram.inject_text(c1, f"/link {code}", chat_id=GROUP_CHAT)
            await telegram.wait_for_messages(GROUP_CHAT, 1, timeout=10)
            new_chat = telegram.migrate_group(GROUP_CHAT)

            telegram.inject_text(c1, "/broadcast")
            await telegram.wait_for_messages(c1, 2, timeout=10)
            telegram.inject_text(c1, "Ертең сабақ 9:00-де басталады.")
            audience = (await telegram.wait_for_messages(c1, 3, timeout=10))[-1]
            telegram.press_button(c1, audience.message_id, "bc:aud:group_chat")
            preview = await telegram.wait_for_messages(c1, 6, timeout=10)
            telegram.press_button(c1, preview[4].message_id, "bc:send:normal")
            [posted] = await telegram.wait_for_messages(new_chat, 1, timeout=10)
            telegram.remove_bot_from_group(new_chat, c1)
            telegram.inject_text(c1, "/broadcast")
            await telegram.wait_for_messages(c1, 8, timeout=10)
            telegram.inject_text(c1, "Ертең сабақ жоқ.")
            offered = (await telegram.wait_for_messages(c1, 9, timeout=10))[-1]
        finally:
            await running.stop()
    assert "Ертең сабақ 9:00-де басталады." in (posted.text or "")
    # Once the bot is removed from the chat the class is unlinked: the chat is no longer offered.
    assert "bc:aud:group_chat" not in [b.get("callback_data") for row in offered.inline_keyboard for b in row]
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        klass = session.get(SchoolClass, staff.classes["8A"])
        assert klass is not None and klass.telegram_chat_id is None
        moves = session.exec(select(AuditLog.action).where(AuditLog.entity_id == klass.id)).all()
    engine.dispose()
    assert {"class.chat_linked", "class.chat_migrated", "class.chat_left"} <= set(moves)
