"""Talking to the running bot through the Telegram emulator, as a person in a private chat would."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

from locales import T
from models.settings import Settings, load_settings
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage


def emulator_settings(telegram: TelegramEmulator, tmp_path: Path, db_url: str) -> Settings:
    """The bot against this emulator, with no quiet hours: the tests may run at any time of day."""
    return load_settings(
        telegram_bot_token=telegram.token,
        telegram_api_url=telegram.base_url,
        data_dir=tmp_path,
        database_url=db_url,
        http_port=0,
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(0, 0),
    )


def on_telegram(language: str, key: str, **params: Any) -> str:
    """A catalogue text as Telegram shows it: commands named as slash commands, its Telegram variant."""
    return T(key, **params).render(language, "telegram")


def choices(message: ChatMessage) -> list[str]:
    """The callback data of a message's inline buttons, row by row."""
    return [str(key.get("callback_data", "")) for row in message.inline_keyboard for key in row]


def button(message: ChatMessage, prefix: str) -> str:
    """The one button whose callback data starts with `prefix`."""
    for value in choices(message):
        if value.startswith(prefix):
            return value
    raise AssertionError(f"no button {prefix!r} on {message.text!r}")


class Chatting:
    """One person's private chat: what they send and the bot's answers since."""

    def __init__(self, telegram: TelegramEmulator, user_id: int) -> None:
        self.telegram, self.user_id, self.seen = telegram, user_id, 0

    async def answers(self, count: int) -> list[ChatMessage]:
        got = await self.telegram.wait_for_messages(self.user_id, self.seen + count, timeout=15)
        new, self.seen = got[self.seen :], len(got)
        return new

    async def text(self, text: str, count: int = 1) -> list[ChatMessage]:
        self.telegram.inject_text(self.user_id, text)
        return await self.answers(count)

    async def press(self, message: ChatMessage, prefix: str, count: int = 1) -> list[ChatMessage]:
        self.telegram.press_button(self.user_id, message.message_id, button(message, prefix))
        return await self.answers(count)
