"""Webhook mode through the emulator: a quiet private chat's last reply goes back as the webhook's
answer (Telegram sends it), earlier replies of the turn and replies to a chat answered within the
last second are sent as requests of their own; nothing is lost and the order holds."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from bots.app import start
from bots.telegram.webhook_answer import CHAT_QUIET_SECONDS, RecentChats, WebhookAnswer
from models import Membership, Person, School
from models.invites import issue_invite
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from settings import load_settings
from tests.support.chatting import on_telegram

pytestmark = pytest.mark.flow

STRANGER, PARENT = 801, 802


def _parent_invite(db_url: str) -> str:
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        school = School(code="s1", name="№1")
        parent = Person(external_id="g1", full_name="Гүлнар")
        session.add_all([school, parent])
        session.flush()
        assert school.id and parent.id
        session.add(Membership(person_id=parent.id, role="guardian", school_id=school.id))
        code = issue_invite(session, parent.id, ttl=timedelta(days=1)).code
    engine.dispose()
    return code


async def test_quiet_chats_are_answered_in_the_webhook_and_busy_ones_directly(
    tmp_path: Path, db_url: str
) -> None:
    code = _parent_invite(db_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with TelegramEmulator() as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            telegram_webhook_url=f"http://127.0.0.1:{port}",
            telegram_webhook_secret="s3cret",
            data_dir=tmp_path,
            database_url=db_url,
            http_port=port,
        )
        telegram.add_user(STRANGER, "Асқар")
        telegram.add_user(PARENT, "Гүлнар")
        running = await start(settings)
        try:
            # A stranger's /start: one reply, Telegram sends it from the webhook's answer.
            telegram.inject_text(STRANGER, "/start")
            [greeting] = await telegram.wait_for_messages(STRANGER, 1, timeout=10)
            first = await telegram.wait_for_deliveries(1, timeout=10)

            # Joining answers twice: the welcome is sent, then the language question is the answer.
            telegram.inject_text(PARENT, f"/start {code}")
            welcome, question = await telegram.wait_for_messages(PARENT, 2, timeout=10)
            joined = await telegram.wait_for_deliveries(2, timeout=10)

            # Asked again at once: that chat was answered under a second ago, so it is sent.
            telegram.inject_text(PARENT, "/language")
            again = (await telegram.wait_for_messages(PARENT, 3, timeout=10))[2]
            busy = await telegram.wait_for_deliveries(3, timeout=10)

            # A button pressed once the chat is quiet again: the answer carries the reply.
            await asyncio.sleep(CHAT_QUIET_SECONDS + 0.1)
            telegram.press_button(PARENT, again.message_id, "lang:ru")
            chosen = (await telegram.wait_for_messages(PARENT, 4, timeout=10))[3]
            pressed = await telegram.wait_for_deliveries(4, timeout=10)
        finally:
            await running.stop()

    assert greeting.text == on_telegram("kk", "start.stranger") + "\n\n" + on_telegram("ru", "start.stranger")
    assert greeting.reply_markup is not None and greeting.reply_markup["keyboard"][0][0]["request_contact"]
    assert [d.method for d in first] == ["sendMessage"]

    assert welcome.text == on_telegram("kk", "join.welcome", name="Гүлнар")
    assert question.text == on_telegram("kk", "language.ask")
    assert [b["callback_data"] for row in question.inline_keyboard for b in row] == [
        "lang:kk",
        "lang:ru",
        "lang:en",
    ]
    assert joined[1].method == "sendMessage"

    assert again.text == on_telegram("kk", "language.ask")
    assert busy[2].method is None and busy[2].status == 200

    assert chosen.text == on_telegram("ru", "language.set")
    assert pressed[3].method == "sendMessage"
    assert all(d.method_error is None and d.error is None for d in pressed)


def test_a_call_offered_after_the_webhook_answered_is_refused_so_the_handler_sends_it() -> None:
    answer = WebhookAnswer()
    assert answer.offer({"method": "sendMessage", "chat_id": 1, "text": "a"})
    assert not answer.offer({"method": "sendMessage", "chat_id": 1, "text": "b"})  # one call per answer
    assert answer.close() == {"method": "sendMessage", "chat_id": 1, "text": "a"}
    late = WebhookAnswer()
    assert late.close() is None
    assert not late.offer({"method": "sendMessage", "chat_id": 1, "text": "c"})


def test_a_chat_is_quiet_again_a_second_after_its_last_reply() -> None:
    now = [100.0]
    recent = RecentChats(clock=lambda: now[0])
    assert recent.take_quiet(1) and recent.take_quiet(2)
    assert not recent.take_quiet(1)
    now[0] += CHAT_QUIET_SECONDS / 2
    assert not recent.take_quiet(2)  # and chat 2 was answered again now
    now[0] += CHAT_QUIET_SECONDS / 2 + 0.01
    assert recent.take_quiet(1) and not recent.take_quiet(2)
    now[0] += CHAT_QUIET_SECONDS + 0.01
    assert recent.take_quiet(2)
