"""End to end over the Telegram emulator: a parent writes about an illness in her own words, chooses
to report it as a problem, the reason and today's lesson; the tutor hears of it once — the problem,
with her words as its note — not once more as a message of the same thread. In kk, ru and en."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bots.app import start
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.chatting import Chatting, choices, emulator_settings
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, WEDNESDAY, all_on_telegram, build_school, speaks

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 2500 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
WORDS = {
    "kk": "Балам ауырып қалды, температурасы бар",
    "ru": "Ребёнок заболел, температура",
    "en": "My son is sick, he has a temperature",
}


async def nothing_more(telegram: TelegramEmulator, chat_id: int, seen: int) -> bool:
    """Whether no message beyond the `seen` ones reaches the chat within two seconds."""
    try:
        await telegram.wait_for_messages(chat_id, seen + 1, timeout=2)
    except TimeoutError:
        return True
    return False


@pytest.mark.usefixtures("wednesday")
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_problem_told_in_the_parents_words_reaches_the_tutor_once(
    tmp_path: Path, db_url: str, language: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    speaks(build_school(engine, tmp_path / "media", TELEGRAM_IDS), "g1", language)
    engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            parent_chat = Chatting(telegram, TELEGRAM_IDS["g1"])
            [whom] = await parent_chat.text(WORDS[language])
            assert "prb:start:" in choices(whom)  # illness: "report it as a problem" is offered
            [kind] = await parent_chat.press(whom, "prb:start:")
            [lesson] = await parent_chat.press(kind, next(v for v in choices(kind) if v.endswith(":ill")))
            today = next(v for v in choices(lesson) if v.endswith(WEDNESDAY.date().isoformat()))
            telegram.press_button(TELEGRAM_IDS["g1"], lesson.message_id, today)
            [recorded] = await parent_chat.answers(1)
            assert recorded.text is not None and recorded.text.startswith("✅")

            tutor = Chatting(telegram, TELEGRAM_IDS["t1"])
            [problem] = await tutor.answers(1)
            assert problem.text is not None and WORDS[language] in problem.text
            assert "/absences" in problem.text
            await asyncio.sleep(0.5)  # the outbox's next round, had it a second row
            assert await nothing_more(telegram, TELEGRAM_IDS["t1"], tutor.seen)
            [told] = await Chatting(telegram, TELEGRAM_IDS["ct1"]).answers(1)  # the class teacher too
            assert told.text is not None and "15:00" in told.text
        finally:
            await running.stop()
