"""End to end: the real process and the real aiogram client, over HTTP, against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.app import start
from sandbox.telegram_emulator.emulator import TelegramEmulator
from settings import load_settings
from tests.support.chatting import a_pupil_and_a_parent, on_telegram

pytestmark = pytest.mark.flow


async def test_a_russian_speaking_stranger_is_greeted_in_russian_then_kazakh(
    tmp_path: Path, db_url: str
) -> None:
    """Telegram says the app speaks Russian: that is a hint, the greeting comes in Russian first, then
    in Kazakh, with the share-my-number button labelled in Russian."""
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
            [greeting] = await telegram.wait_for_messages(501, 1, timeout=10)
        finally:
            await running.stop()
    russian, kazakh = greeting.text.split("\n\n")
    assert russian == on_telegram("ru", "start.stranger") and russian.startswith("Здравствуйте!")
    assert kazakh == on_telegram("kk", "start.stranger") and kazakh.startswith("Сәлеметсіз бе!")
    assert "«Поделиться номером»" in russian and "«Нөмірімді бөлісу»" in kazakh
    assert greeting.reply_markup is not None
    assert greeting.reply_markup["keyboard"][0][0] == {"text": "Поделиться номером", "request_contact": True}


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
    assert answer[-1].text == on_telegram("kk", "consent.pupil_needs_parent")
    assert reminder.text == on_telegram("ru", "consent.reminder", pupil="Ерлан")
