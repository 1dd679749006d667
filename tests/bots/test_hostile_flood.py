"""A flood over HTTP: one Telegram user sends 100 messages at once to the real process; they are
throttled (told once to slow down), and another user writing at the same moment is answered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bots.app import start
from handlers.throttle import BURST
from locales import translate
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from settings import load_settings

pytestmark = pytest.mark.flow

FLOODER, OTHER = 801, 802


async def test_a_flood_of_100_updates_is_throttled_and_others_are_answered(
    tmp_path: Path, db_url: str
) -> None:
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        telegram.add_user(FLOODER, "Flood")
        telegram.add_user(OTHER, "Calm")
        running = await start(settings)
        try:
            for n in range(100):
                telegram.inject_text(FLOODER, f"hello {n}")
            telegram.inject_text(OTHER, "сәлем")
            [answer] = await telegram.wait_for_messages(OTHER, 1, timeout=30)
            slow_down = translate("kk", "throttle.slow_down")
            await telegram.wait_for_messages(FLOODER, BURST + 1, timeout=30)
            await asyncio.sleep(1.0)  # what else would come, comes now
            flooded = [message.text for message in telegram.sent(FLOODER)]
        finally:
            await running.stop()
    assert answer.text == translate("kk", "join.stranger") + "\n\n" + translate("ru", "join.stranger")
    assert flooded.count(slow_down) == 1
    assert BURST <= len(flooded) <= BURST + 10  # the burst, what refilled meanwhile, and one warning
