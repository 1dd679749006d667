"""The Telegram emulator against the real aiogram client, over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from PIL import Image

from sandbox.telegram_emulator import RateLimits, TelegramEmulator

PUPIL = 1001
PARENT = 1002
GROUP = -5001


class FakeClock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def png(width: int = 1200, height: int = 900, color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def make_bot(emu: TelegramEmulator, token: str | None = None) -> Bot:
    return Bot(token or emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.api_url)))


def populate(emu: TelegramEmulator) -> None:
    emu.add_user(PUPIL, "Aruzhan", last_name="Seitkali", username="aruzhan", language_code="kk")
    emu.add_user(PARENT, "Dana", language_code="ru")


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emulator:
        populate(emulator)
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    client = make_bot(emu)
    yield client
    await client.session.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited(clock: FakeClock) -> AsyncIterator[TelegramEmulator]:
    """An emulator with Telegram's default limits on a clock the test moves."""
    async with TelegramEmulator(clock=clock) as emulator:
        populate(emulator)
        yield emulator


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# ---------------------------------------------------------------------- basics


async def test_get_me(emu: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == emu.bot.id == int(emu.token.split(":")[0])
    assert me.is_bot
    assert me.username == emu.bot.username


async def test_send_message_with_inline_keyboard_is_readable(emu: TelegramEmulator, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Иә", callback_data="consent:yes"),
                InlineKeyboardButton(text="Жоқ", callback_data="consent:no"),
            ]
        ]
    )
    sent = await bot.send_message(PUPIL, "<b>Келісім</b> бересіз бе?", parse_mode="HTML", reply_markup=markup)
    assert isinstance(sent, Message)
    assert sent.chat.id == PUPIL
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    [record] = emu.sent(PUPIL)
    assert record.message_id == sent.message_id
    assert record.text == "<b>Келісім</b> бересіз бе?"
    assert [b["callback_data"] for b in record.inline_keyboard[0]] == ["consent:yes", "consent:no"]


async def test_reply_keyboard_request_contact_and_removal(emu: TelegramEmulator, bot: Bot) -> None:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Нөмірді бөлісу", request_contact=True)]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    sent = await bot.send_message(PARENT, "Телефон?", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram echoes only inline keyboards
    shown = emu.reply_keyboard(PARENT)
    assert shown is not None and shown["keyboard"][0][0]["request_contact"] is True
    assert emu.sent(PARENT)[0].reply_markup == shown

    emu.inject_contact(PARENT, "+77011234567")
    assert emu.reply_keyboard(PARENT) is None  # one-time keyboard hides after use

    await bot.send_message(PARENT, "again", reply_markup=keyboard)
    await bot.send_message(PARENT, "Рақмет", reply_markup=ReplyKeyboardRemove())
    assert emu.reply_keyboard(PARENT) is None
    assert emu.sent(PARENT)[-1].reply_markup == {"remove_keyboard": True}


async def test_send_photo_and_download(emu: TelegramEmulator, bot: Bot) -> None:
    original = png()
    sent = await bot.send_photo(PUPIL, BufferedInputFile(original, "page.png"), caption="Бағасы: 5")
    assert sent.photo is not None and len(sent.photo) >= 2
    assert sent.photo[-1].width == 1200 and sent.photo[-1].height == 900
    assert sent.photo[0].width < sent.photo[-1].width
    assert sent.caption == "Бағасы: 5"

    downloaded = await bot.download(sent.photo[-1])
    assert downloaded is not None and downloaded.read() == original

    [record] = emu.sent(PUPIL)
    assert record.caption == "Бағасы: 5"
    assert record.media[0].data == original

    # the same file_id can be sent again
    again = await bot.send_photo(PARENT, sent.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id


async def test_send_document_get_file_and_download(emu: TelegramEmulator, bot: Bot) -> None:
    pdf = b"%PDF-1.4 homework"
    sent = await bot.send_document(PUPIL, BufferedInputFile(pdf, "submission.pdf"))
    assert sent.document is not None
    assert sent.document.file_name == "submission.pdf"
    assert sent.document.mime_type == "application/pdf"
    info = await bot.get_file(sent.document.file_id)
    assert info.file_size == len(pdf) and info.file_path
    downloaded = await bot.download_file(info.file_path)
    assert downloaded is not None and downloaded.read() == pdf
    assert emu.sent(PUPIL)[0].media[0].file_name == "submission.pdf"


async def test_send_media_group(emu: TelegramEmulator, bot: Bot) -> None:
    pages = [png(color="red"), png(color="green")]
    messages = await bot.send_media_group(
        PUPIL,
        [
            InputMediaPhoto(media=BufferedInputFile(pages[0], "1.png"), caption="2 бет"),
            InputMediaPhoto(media=BufferedInputFile(pages[1], "2.png")),
        ],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id is not None
    assert messages[0].media_group_id == messages[1].media_group_id
    records = emu.sent(PUPIL)
    assert [r.media[0].data for r in records] == pages
    assert records[0].caption == "2 бет"


async def test_edit_and_delete(emu: TelegramEmulator, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]])
    sent = await bot.send_message(PUPIL, "draft", reply_markup=markup)
    edited = await bot.edit_message_text(
        "final", chat_id=PUPIL, message_id=sent.message_id, reply_markup=markup
    )
    assert isinstance(edited, Message) and edited.text == "final" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("final", chat_id=PUPIL, message_id=sent.message_id, reply_markup=markup)

    await bot.edit_message_reply_markup(chat_id=PUPIL, message_id=sent.message_id)
    [record] = emu.sent(PUPIL)
    assert record.text == "final" and record.edited and record.reply_markup is None

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=PUPIL, message_id=999)

    assert await bot.delete_message(PUPIL, sent.message_id)
    assert emu.sent(PUPIL) == []
    assert emu.sent(PUPIL, include_deleted=True)[0].deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(PUPIL, sent.message_id)


async def test_commands_chat_and_member(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Бастау")], language_code="kk")
    assert emu.commands[('{"type": "default"}', "kk")] == [{"command": "start", "description": "Бастау"}]
    assert [c.command for c in await bot.get_my_commands(language_code="kk")] == ["start"]
    with pytest.raises(TelegramBadRequest):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])

    chat = await bot.get_chat(PUPIL)
    assert chat.type == "private" and chat.first_name == "Aruzhan" and chat.username == "aruzhan"
    emu.add_group(GROUP, "8A сыныбы", [PUPIL, PARENT], creator_id=PARENT)
    group = await bot.get_chat(GROUP)
    assert group.type == "group" and group.title == "8A сыныбы"
    member = await bot.get_chat_member(GROUP, PARENT)
    assert member.status == "creator"
    me = await bot.get_chat_member(GROUP, emu.bot.id)
    assert me.status == "member"
    with pytest.raises(TelegramBadRequest, match="user not found"):
        await bot.get_chat_member(GROUP, 424242)


# ---------------------------------------------------------------------- errors


async def test_errors_map_to_aiogram_exceptions(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hi")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(PUPIL, "")

    emu.set_blocked(PUPIL)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(PUPIL, "hi")
    emu.set_blocked(PUPIL, False)
    await bot.send_message(PUPIL, "hi again")

    emu.add_user(3003, "Never", has_started=False)
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(3003, "hi")

    emu.limit_chat(PUPIL, 7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(PUPIL, "hi")
    assert retry.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in str(retry.value)
    emu.limit_chat(PUPIL, 0)
    await bot.send_message(PUPIL, "hi")


async def test_unauthorized_and_unknown_method(emu: TelegramEmulator, bot: Bot) -> None:
    stranger = make_bot(emu, token="42:not-the-emulator-token")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()

    class NoSuchMethod(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "noSuchMethod"

    with pytest.raises(TelegramNotFound):
        await bot(NoSuchMethod())

    async with aiohttp.ClientSession() as http, http.get(f"{emu.api_url}/botnonsense/getMe") as response:
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_group_migration(emu: TelegramEmulator, bot: Bot) -> None:
    emu.add_group(GROUP, "8A", [PUPIL, PARENT], creator_id=PARENT)
    await bot.send_message(GROUP, "Сәлеметсіздер ме")
    new_id = emu.migrate_group(GROUP)
    assert new_id < -1_000_000_000_000
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await bot.send_message(GROUP, "hi")
    assert migrated.value.migrate_to_chat_id == new_id
    sent = await bot.send_message(new_id, "hi")
    assert sent.chat.type == "supergroup"

    updates = await bot.get_updates()
    service = [u.message for u in updates if u.message]
    assert service[0].migrate_to_chat_id == new_id and service[0].chat.id == GROUP
    assert service[1].migrate_from_chat_id == GROUP and service[1].chat.id == new_id


async def test_file_too_big_for_get_file(emu: TelegramEmulator, bot: Bot) -> None:
    message = emu.inject_document(PUPIL, b"\0" * (20 * 1024 * 1024 + 1), "scan.tiff")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(message["document"]["file_id"])


# ---------------------------------------------------------------------- rate limits


async def test_private_chat_limit_allows_a_burst_then_429(
    limited: TelegramEmulator, clock: FakeClock
) -> None:
    bot = make_bot(limited)
    try:
        for i in range(3):
            await bot.send_message(PUPIL, f"m{i}")
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(PUPIL, "too fast")
        assert retry.value.retry_after == 1
        await bot.send_message(PARENT, "another chat is not limited by this one")
        clock.now += 1.0
        await bot.send_message(PUPIL, "after waiting")
        assert [r.text for r in limited.sent(PUPIL)] == ["m0", "m1", "m2", "after waiting"]
    finally:
        await bot.session.close()


async def test_group_limit_is_twenty_per_minute(limited: TelegramEmulator, clock: FakeClock) -> None:
    limited.add_group(GROUP, "8A", [PUPIL])
    bot = make_bot(limited)
    try:
        for i in range(20):
            await bot.send_message(GROUP, f"m{i}")
            clock.now += 0.1  # stay under the overall limit
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(GROUP, "21st")
        assert 1 <= retry.value.retry_after <= 3
        clock.now += retry.value.retry_after
        await bot.send_message(GROUP, "later")
    finally:
        await bot.session.close()


async def test_overall_limit_and_lifting_limits(clock: FakeClock) -> None:
    limits = RateLimits(overall_per_second=30, overall_burst=30, private_per_second=None)
    async with TelegramEmulator(clock=clock, rate_limits=limits) as emu:
        for uid in range(1, 41):
            emu.add_user(uid, f"u{uid}")
        bot = make_bot(emu)
        try:
            for uid in range(1, 31):
                await bot.send_message(uid, "news")
            with pytest.raises(TelegramRetryAfter) as retry:
                await bot.send_message(31, "news")
            assert retry.value.retry_after == 1

            emu.set_rate_limits(None)
            for _ in range(50):
                await bot.send_message(31, "no limits now")

            async with aiohttp.ClientSession() as http:
                url = f"{emu.api_url}/_emulator/rate_limits"
                async with http.put(url, json={"overall_per_second": 30, "private_per_second": 1}) as resp:
                    assert (await resp.json())["private_per_second"] == 1
            for _ in range(3):
                await bot.send_message(32, "burst")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(32, "burst")
        finally:
            await bot.session.close()


async def test_a_chat_limit_can_open_at_the_next_send(clock: FakeClock) -> None:
    """A test whose send comes after a slow conversation still meets the 429 it set up."""
    async with TelegramEmulator(clock=clock, rate_limits=RateLimits.unlimited()) as emu:
        emu.add_user(PUPIL, "Ерлан")
        bot = make_bot(emu)
        try:
            emu.limit_chat(PUPIL, 2, from_next_send=True)
            clock.now += 60  # the window has not begun: a plain limit_chat would have passed by now
            with pytest.raises(TelegramRetryAfter) as first:
                await bot.send_message(PUPIL, "hi")
            assert first.value.retry_after == 2
            clock.now += 1
            with pytest.raises(TelegramRetryAfter) as second:
                await bot.send_message(PUPIL, "hi")
            assert second.value.retry_after == 1
            clock.now += 1
            await bot.send_message(PUPIL, "hi")
            assert [m.text for m in emu.sent(PUPIL)] == ["hi"]

            async with aiohttp.ClientSession() as http:
                url = f"{emu.api_url}/_emulator/chats/{PUPIL}/rate_limit"
                async with http.post(url, json={"retry_after": 3, "from_next_send": True}) as resp:
                    assert resp.status == 200
            clock.now += 60
            with pytest.raises(TelegramRetryAfter) as armed:
                await bot.send_message(PUPIL, "hi")
            assert armed.value.retry_after == 3
        finally:
            await bot.session.close()


# ---------------------------------------------------------------------- updates


async def test_dispatcher_polling_runs_handlers(emu: TelegramEmulator, bot: Bot) -> None:
    dp = Dispatcher()
    seen: list[tuple[int, str | None]] = []

    @dp.message(CommandStart(deep_link=True))
    async def start(message: Message) -> None:
        assert message.from_user is not None
        seen.append((message.from_user.id, message.text))
        await message.answer(
            "Сәлем!",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Қазақша", callback_data="lang:kk")]]
            ),
        )

    @dp.callback_query(F.data.startswith("lang:"))
    async def choose(query: CallbackQuery) -> None:
        await query.answer("Таңдалды")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Тіл: kk")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
    try:
        message = emu.inject_text(PUPIL, "/start invite-123")
        assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        [greeting] = await emu.wait_for_messages(PUPIL, 1)
        assert seen == [(PUPIL, "/start invite-123")]
        assert greeting.text == "Сәлем!"

        query_id = emu.press_button(PUPIL, greeting.message_id, "lang:kk")
        await eventually(lambda: emu.sent(PUPIL)[0].text == "Тіл: kk")
        assert emu.callback_answers[query_id]["text"] == "Таңдалды"
    finally:
        await dp.stop_polling()
        await polling


async def test_get_updates_offset_and_allowed_updates(emu: TelegramEmulator, bot: Bot) -> None:
    emu.inject_text(PUPIL, "one")
    emu.inject_text(PARENT, "two")
    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [u.update_id for u in first]  # not confirmed yet
    assert await bot.get_updates(offset=first[-1].update_id + 1) == []

    sent = await bot.send_message(
        PUPIL,
        "?",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="a")]]
        ),
    )
    emu.press_button(PUPIL, sent.message_id, "a")
    emu.inject_text(PUPIL, "three")
    only_messages = await bot.get_updates(allowed_updates=["message"])
    assert [u.message.text for u in only_messages if u.message] == ["three"]
    assert all(u.callback_query is None for u in only_messages)


async def test_long_poll_waits_and_second_poller_conflicts(emu: TelegramEmulator, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=30))
    await eventually(lambda: emu._active_poll is not None)
    emu.inject_text(PUPIL, "wake up")
    updates = await waiting
    assert updates[0].message is not None and updates[0].message.text == "wake up"

    first = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=30))
    await eventually(lambda: emu._active_poll is not None)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first


async def test_album_contact_and_callback_updates(emu: TelegramEmulator, bot: Bot) -> None:
    pages = [png(color="white"), png(color="gray"), png(color="black")]
    emu.inject_album(PUPIL, pages, caption="Алгебра, 3 бет")
    emu.inject_contact(PARENT, "+77011234567")
    updates = await bot.get_updates()
    album = [u.message for u in updates if u.message and u.message.photo]
    assert len(album) == 3
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id is not None
    assert album[0].caption == "Алгебра, 3 бет" and album[1].caption is None
    for message, original in zip(album, pages, strict=True):
        assert message.photo is not None and len(message.photo) >= 2
        file = await bot.download(message.photo[-1])
        assert file is not None and file.read() == original

    [contact] = [u.message for u in updates if u.message and u.message.contact]
    assert contact.contact is not None and contact.from_user is not None
    assert contact.contact.phone_number == "+77011234567"
    assert contact.contact.user_id == contact.from_user.id == PARENT

    with pytest.raises(ValueError):
        emu.press_button(PUPIL, 12345, "nothing")


async def test_callback_answer_once(emu: TelegramEmulator, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="5", callback_data="mark:5")]])
    sent = await bot.send_message(PUPIL, "Баға?", reply_markup=markup)
    query_id = emu.press_button(PUPIL, sent.message_id, "mark:5")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.id == query_id and update.callback_query.data == "mark:5"
    assert isinstance(update.callback_query.message, Message)
    assert update.callback_query.message.message_id == sent.message_id
    await bot.answer_callback_query(query_id, text="OK", show_alert=True)
    assert emu.callback_answers[query_id]["show_alert"] is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(ValueError):
        emu.press_button(PUPIL, sent.message_id, "mark:4")


async def test_bot_added_to_and_removed_from_group(emu: TelegramEmulator, bot: Bot) -> None:
    emu.add_group(GROUP, "8A", [PUPIL, PARENT], creator_id=PARENT, bot_is_member=False)
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await bot.send_message(GROUP, "hi")
    emu.add_bot_to_group(GROUP, PARENT)
    emu.inject_text(PUPIL, "just chatting", chat_id=GROUP)  # privacy mode: the bot does not see it
    emu.inject_text(PUPIL, f"/homework@{emu.bot.username}", chat_id=GROUP)
    emu.remove_bot_from_group(GROUP, PARENT)
    updates = await bot.get_updates()

    added = updates[0].my_chat_member
    assert added is not None and added.chat.id == GROUP and added.from_user.id == PARENT
    assert added.old_chat_member.status == "left" and added.new_chat_member.status == "member"
    assert updates[1].message is not None and updates[1].message.new_chat_members is not None
    texts = [u.message.text for u in updates if u.message and u.message.text]
    assert texts == [f"/homework@{emu.bot.username}"]
    removed = updates[-1].my_chat_member
    assert removed is not None and removed.new_chat_member.status == "left"
    assert [r.text for r in emu.history(GROUP) if r.text] == [
        "just chatting",
        f"/homework@{emu.bot.username}",
    ]
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(GROUP, "hi")


async def test_blocking_sends_my_chat_member(emu: TelegramEmulator, bot: Bot) -> None:
    emu.set_blocked(PUPIL)
    [update] = await bot.get_updates()
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    emu.inject_text(PUPIL, "/start")  # writing again unblocks, as in Telegram
    await bot.send_message(PUPIL, "welcome back")


# ---------------------------------------------------------------------- webhook


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_webhook_delivery_with_secret_and_method_answer(emu: TelegramEmulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "pong"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, url = await _serve(app)
    try:
        emu.inject_text(PUPIL, "stale")
        await bot.set_webhook(f"{url}/hook", secret_token="s3cret-token", drop_pending_updates=True)
        info = await bot.get_webhook_info()
        assert info.url == f"{url}/hook" and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()

        emu.inject_text(PUPIL, "ping")
        [delivery] = await emu.wait_for_deliveries(1)
        assert delivery.status == 200 and delivery.method == "sendMessage" and delivery.method_error is None
        assert received[0][0] == "s3cret-token"
        assert received[0][1]["message"]["text"] == "ping"
        [answer] = await emu.wait_for_messages(PUPIL, 1)
        assert answer.text == "pong"

        await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()


async def test_webhook_skips_update_kinds_it_was_not_asked_for(emu: TelegramEmulator, bot: Bot) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, url = await _serve(app)
    try:
        await bot.set_webhook(f"{url}/hook", allowed_updates=["message"])
        emu.inject_text(PUPIL, "first")
        emu.add_group(-1001, "8А", [PUPIL], bot_is_member=False)
        emu.add_bot_to_group(-1001, PUPIL)  # a my_chat_member update: not asked for
        emu.inject_text(PUPIL, "second")
        while not any(u.get("message", {}).get("text") == "second" for u in received):
            await emu.wait_for_deliveries(len(received) + 1)
        assert all(set(u) == {"update_id", "message"} for u in received)
        assert [u["message"]["text"] for u in received if "text" in u["message"]] == ["first", "second"]
        assert emu.deleted_updates >= 1
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_webhook_to_aiogram_request_handler(emu: TelegramEmulator, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> SendMessage:
        return message.answer("webhook reply")  # answered in the webhook response (multipart)

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="right", handle_in_background=False).register(app, "/tg")
    runner, url = await _serve(app)
    try:
        await bot.set_webhook(f"{url}/tg", secret_token="wrong")
        emu.inject_text(PUPIL, "/start")
        [rejected] = await emu.wait_for_deliveries(1)
        assert rejected.status == 401
        info = await bot.get_webhook_info()
        assert info.last_error_message is not None and "401" in info.last_error_message

        await bot.set_webhook(f"{url}/tg", secret_token="right")
        emu.inject_text(PUPIL, "/start")
        deliveries = await emu.wait_for_deliveries(2)
        assert deliveries[1].status == 200 and deliveries[1].method is not None
        [reply] = await emu.wait_for_messages(PUPIL, 1)
        assert reply.text == "webhook reply"
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


# ---------------------------------------------------------------------- raw HTTP: encodings, control API


async def test_form_encodings_accepted(emu: TelegramEmulator) -> None:
    base = f"{emu.api_url}/bot{emu.token}"
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/getMe") as response:
            assert (await response.json())["result"]["id"] == emu.bot.id
        async with http.post(
            f"{base}/sendMessage", data={"chat_id": str(PUPIL), "text": "form", "reply_markup": markup}
        ) as response:
            body = await response.json()
            assert (
                body["ok"] is True and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
            )
        async with http.post(f"{base}/sendMessage", json={"chat_id": PUPIL, "text": "json"}) as response:
            assert (await response.json())["result"]["text"] == "json"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(PUPIL))
        form.add_field("document", b"plain bytes", filename="notes.txt", content_type="text/plain")
        async with http.post(f"{base}/sendDocument", data=form) as response:
            assert (await response.json())["result"]["document"]["file_name"] == "notes.txt"
        async with http.post(f"{base}/sendMessage", json={"chat_id": -1, "text": "x"}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }
    assert [r.text for r in emu.sent(PUPIL)][:2] == ["form", "json"]


async def test_http_control_api(emu: TelegramEmulator, bot: Bot) -> None:
    root = f"{emu.api_url}/_emulator"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{root}/users", json={"id": 2002, "first_name": "Erlan", "language_code": "kk"}
        ) as r:
            assert r.status == 200 and (await r.json())["id"] == 2002
        async with http.post(f"{root}/users/2002/text", json={"text": "/start"}) as r:
            message = (await r.json())["message"]
            assert message["entities"][0]["type"] == "bot_command"
        photo = base64.b64encode(png(400, 300)).decode()
        async with http.post(f"{root}/users/2002/photo", json={"data_base64": photo, "caption": "1"}) as r:
            assert len((await r.json())["message"]["photo"]) >= 2
        async with http.post(f"{root}/users/2002/contact", json={"phone_number": "+77001112233"}) as r:
            assert (await r.json())["message"]["contact"]["user_id"] == 2002

        sent = await bot.send_photo(
            2002,
            BufferedInputFile(png(100, 100), "r.png"),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="✓", callback_data="ok")]]
            ),
        )
        async with http.get(f"{root}/chats/2002/wait", params={"count": "1", "timeout": "2"}) as r:
            [record] = (await r.json())["messages"]
            assert record["message_id"] == sent.message_id and record["media"][0]["kind"] == "photo"
        async with http.get(f"{emu.api_url}{record['media'][0]['url']}") as r:
            assert await r.read() == png(100, 100)
        async with http.post(
            f"{root}/users/2002/press", json={"message_id": sent.message_id, "callback_data": "ok"}
        ) as r:
            assert (await r.json())["callback_query_id"]
        async with http.get(f"{root}/chats/2002/messages", params={"all": "1"}) as r:
            assert len((await r.json())["messages"]) == 4
        async with http.get(f"{root}/changes", params={"since": "0"}) as r:
            body = await r.json()
            assert body["last_seq"] >= 4 and body["messages"][-1]["message_id"] == sent.message_id
        async with http.get(f"{root}/chats/2002/wait", params={"count": "5", "timeout": "0.05"}) as r:
            assert r.status == 408
        async with http.post(f"{root}/chats/2002/blocked", json={"blocked": True}) as r:
            assert (await r.json())["blocked"] is True
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(2002, "hi")
        async with http.post(f"{root}/groups", json={"id": -77, "title": "9Б", "members": [2002]}) as r:
            assert (await r.json())["type"] == "group"
        async with http.post(f"{root}/groups/-77/migrate", json={}) as r:
            new_id = (await r.json())["migrate_to_chat_id"]
        with pytest.raises(TelegramMigrateToChat):
            await bot.send_message(-77, "hi")
        await bot.send_message(new_id, "hi")
        async with http.post(f"{root}/users/9999/text", json={"text": "x"}) as r:
            assert r.status == 404
        async with http.post(f"{root}/reset") as r:
            assert r.status == 200
        async with http.get(f"{root}/state") as r:
            assert (await r.json())["users"] == []
