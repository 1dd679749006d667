"""The outbox's Telegram sender against the Telegram emulator over HTTP: a text goes as one JSON
`sendMessage` over the bot's aiogram session, and each answer Telegram can give maps onto the
dispatcher's outcome as it did through `Bot.send_message`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bots.app import make_bot
from bots.telegram.sender import TEXT_LIMIT, TelegramSender
from outbox.sender import Outcome, Outgoing
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from settings import Settings

CHAT = 51_000
GROUP = -51_000


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
        emulator.add_user(CHAT, "Ә")
        yield emulator


@pytest.fixture
async def bot(telegram: TelegramEmulator, settings: Settings) -> AsyncIterator[Bot]:
    configured = settings.model_copy(
        update={"telegram_bot_token": telegram.token, "telegram_api_url": telegram.api_url}
    )
    made = make_bot(configured)
    yield made
    await made.session.close()


async def test_a_text_arrives_whole_and_its_message_id_is_the_provider_id(
    telegram: TelegramEmulator, bot: Bot
) -> None:
    text = "Ертең сағат 18:00-ге дейін: «Алгебра» & <үй жұмысы> 🙂\nекінші жол"
    first = await TelegramSender(bot).send(Outgoing(str(CHAT), text))
    second = await TelegramSender(bot).send(Outgoing(str(CHAT), "тағы"))
    assert first.outcome == Outcome.DELIVERED and second.outcome == Outcome.DELIVERED
    sent = telegram.sent(CHAT)
    assert [m.text for m in sent] == [text, "тағы"]
    assert [first.provider_id, second.provider_id] == [str(m.message_id) for m in sent]


async def test_a_text_over_telegrams_limit_is_cut_to_it(telegram: TelegramEmulator, bot: Bot) -> None:
    result = await TelegramSender(bot).send(Outgoing(str(CHAT), "ә" * (TEXT_LIMIT + 10)))
    assert result.outcome == Outcome.DELIVERED
    assert telegram.sent(CHAT)[0].text == "ә" * TEXT_LIMIT


async def test_telegrams_refusals_map_onto_the_outcomes(telegram: TelegramEmulator, bot: Bot) -> None:
    sender = TelegramSender(bot)
    telegram.add_user(CHAT + 1, "Б", has_started=False)
    assert (await sender.send(Outgoing(str(CHAT + 1), "сәлем"))).outcome == Outcome.BLOCKED
    telegram.set_blocked(CHAT, notify=False)
    blocked = await sender.send(Outgoing(str(CHAT), "сәлем"))
    assert (blocked.outcome, blocked.error) == (Outcome.BLOCKED, "403")
    unknown = await sender.send(Outgoing("999999", "сәлем"))
    assert unknown.outcome == Outcome.FAILED and unknown.error.startswith("400:")
    telegram.add_group(GROUP, "7А", [CHAT])
    moved_to = telegram.migrate_group(GROUP, by_user_id=CHAT)
    migrated = await sender.send(Outgoing(str(GROUP), "сәлем"))
    assert (migrated.outcome, migrated.error) == (Outcome.FAILED, f"migrated:{moved_to}")
    assert telegram.sent(CHAT) == [] and telegram.sent(GROUP) == []


async def test_a_429_gives_its_retry_after(telegram: TelegramEmulator, bot: Bot) -> None:
    telegram.limit_chat(CHAT, 3.0)
    result = await TelegramSender(bot).send(Outgoing(str(CHAT), "сәлем"))
    assert result.outcome == Outcome.THROTTLED and result.retry_after >= 1.0
    assert telegram.sent(CHAT) == []


async def test_an_unreachable_api_is_a_retry(settings: Settings) -> None:
    async with TelegramEmulator() as gone:
        url, token = gone.api_url, gone.token
    configured = settings.model_copy(update={"telegram_bot_token": token, "telegram_api_url": url})
    bot = make_bot(configured)
    try:
        result = await TelegramSender(bot).send(Outgoing(str(CHAT), "сәлем"))
    finally:
        await bot.session.close()
    assert (result.outcome, result.error) == (Outcome.RETRY, "TelegramNetworkError")
