"""End to end: the real process and the real aiogram client, over HTTP, against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.app import start
from locales import translate
from sandbox.telegram_emulator.emulator import TelegramEmulator
from settings import load_settings
from tests.e2e.chatting import a_pupil_and_a_parent

pytestmark = pytest.mark.flow


async def test_start_gets_the_kazakh_greeting_over_http(tmp_path: Path, db_url: str) -> None:
    async with TelegramEmulator() as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        running = await start(settings)
        try:
            telegram.add_user(501, "Асқар", language_code="ru")
            telegram.inject_text(501, "/start")
            [reply] = await telegram.wait_for_messages(501, 1, timeout=10)
        finally:
            await running.stop()
    assert reply.text == translate("kk", "start.stranger")
    assert reply.reply_markup is not None and reply.reply_markup["keyboard"][0][0]["request_contact"]


@pytest.mark.usefixtures("daytime")  # the reminder goes at once, outside quiet hours
async def test_a_pupil_without_consent_gets_the_parent_reminded_through_the_outbox(
    tmp_path: Path, db_url: str
) -> None:
    code = a_pupil_and_a_parent(db_url)

    async with TelegramEmulator() as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        running = await start(settings)
        try:
            telegram.add_user(601, "Гүлнар")
            telegram.add_user(602, "Ерлан")
            telegram.inject_text(602, f"/start {code}")
            _welcome, question = await telegram.wait_for_messages(602, 2, timeout=10)
            telegram.press_button(602, question.message_id, "lang:kk")
            await telegram.wait_for_messages(602, 3, timeout=10)
            telegram.inject_text(602, "сәлем")
            answer = await telegram.wait_for_messages(602, 4, timeout=10)
            [reminder] = await telegram.wait_for_messages(601, 1, timeout=10)
        finally:
            await running.stop()
    assert answer[-1].text == translate("kk", "consent.pupil_needs_parent")
    assert reminder.text == translate("ru", "consent.reminder", pupil="Ерлан")
