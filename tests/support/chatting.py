"""Talking to the running bot through the Telegram emulator, as a person in a private chat would."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

from locales import T
from models import ChannelIdentity, Guardianship, Membership, Person, School
from models.invites import issue_invite
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage
from settings import Settings, load_settings


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


def a_pupil_and_a_parent(db_url: str, parent_chat: int = 601) -> str:
    """A school with a pupil who has no consent yet and their Russian-speaking parent on Telegram
    (chat `parent_chat`); returns the pupil's invite code."""
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(engine) as session:
        school = School(code="s1", name="№1")
        parent = Person(external_id="g1", full_name="Гүлнар", locale="ru", locale_chosen=True)
        pupil = Person(external_id="p1", full_name="Ерлан")
        session.add_all([school, parent, pupil])
        session.flush()
        assert school.id and parent.id and pupil.id
        session.add_all(
            [
                Guardianship(guardian_id=parent.id, pupil_id=pupil.id),
                Membership(person_id=parent.id, role="guardian", school_id=school.id),
                Membership(person_id=pupil.id, role="pupil", school_id=school.id),
                ChannelIdentity(
                    person_id=parent.id, channel="telegram", address=str(parent_chat), chat_id=parent_chat
                ),
            ]
        )
        code = issue_invite(session, pupil.id, ttl=timedelta(days=1)).code
    engine.dispose()
    return code


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
