"""End to end over HTTP through the Telegram emulator: one pupil hands in a page, another hands in
the same page photographed again; the tutor's review card of each names the other pupil, for the
tutor to judge, and neither pupil nor any parent hears of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.app import start
from locales import translate
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.e2e.test_homework import GUARDIAN, OTHER_PUPIL, PUPIL, TELEGRAM_IDS, TUTOR, homework_world
from tests.photos.test_likeness import jpeg, photographed_again, written
from tests.support.chatting import Chatting, emulator_settings
from tests.support.homework import PEOPLE

pytestmark = pytest.mark.flow


async def test_a_copy_photographed_again_is_named_in_both_review_cards(tmp_path: Path, db_url: str) -> None:
    world = homework_world(db_url, tmp_path)
    world.homework(text="Есеп 1–5, 42-бет")
    world.engine.dispose()
    original = written(11)

    async with TelegramEmulator() as telegram:
        for name, user_id in TELEGRAM_IDS.items():
            telegram.add_user(user_id, PEOPLE[name][0])
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            tutor, pupil, other = (Chatting(telegram, uid) for uid in (TUTOR, PUPIL, OTHER_PUPIL))
            telegram.inject_photo(PUPIL, jpeg(original))
            [receipt] = await pupil.answers(1)
            telegram.inject_photo(OTHER_PUPIL, photographed_again(original, angle=-2.0, brightness=0.8))
            [other_receipt] = await other.answers(1)

            header, warning, page = await tutor.text("/review", 3)
            assert header.text is not None and "Нұрлан Сейітов" in header.text
            line = translate("kk", "copies.line", page=1, pupil="Аружан Бекова", their_page=1)
            assert warning.text is not None and line in warning.text
            assert page.message.get("photo")
            header, warning, page = await tutor.press(page, "rv:next:", 3)
            assert header.text is not None and "Аружан Бекова" in header.text
            line = translate("kk", "copies.line", page=1, pupil="Нұрлан Сейітов", their_page=1)
            assert warning.text is not None and line in warning.text
        finally:
            await running.stop()
        told = [
            m.text or m.caption or "" for uid in (PUPIL, OTHER_PUPIL, GUARDIAN) for m in telegram.sent(uid)
        ]

    assert receipt.text and other_receipt.text
    copy_words = [translate(lang, "copies.warning", lines="").split("\n")[0] for lang in ("kk", "ru", "en")]
    assert not any(words in text for words in copy_words for text in told)
