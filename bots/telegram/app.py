"""The aiogram dispatcher: every private message and button press goes to the handlers.

The handlers are module-level functions; what they share (the store, the handlers' config, the upload
limit, albums being collected, chats' recent replies) is the dispatcher's workflow data under
`telegram`, which aiogram hands to every handler that names it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy import Engine

from bots import turns
from bots.telegram.albums import AlbumCollector
from bots.telegram.filters import GROUP, PRIVATE
from bots.telegram.inbound import callback_to_inbound, message_to_inbound
from bots.telegram.render import send_reply, waiting_out_flood
from bots.telegram.webhook_answer import RecentChats, WebhookAnswer, send_message_call
from handlers.class_chat import chat_left, chat_migrated
from handlers.context import Config
from handlers.types import Inbound

log = logging.getLogger(__name__)


@dataclass
class TelegramTurns:
    engine: Engine
    config: Config
    max_upload_bytes: int
    albums: AlbumCollector = field(default_factory=AlbumCollector)
    recent: RecentChats = field(default_factory=RecentChats)


def build_dispatcher(engine: Engine, config: Config, max_upload_bytes: int) -> Dispatcher:
    """Updates that come by webhook carry a `webhook_answer`: a private chat's last reply may go
    back in it (see bots/telegram/webhook_answer.py)."""
    router = Router(name="ustaz")
    router.message.register(on_private_message, PRIVATE)
    router.message.register(on_group_message, GROUP)
    router.my_chat_member.register(on_bot_membership, GROUP)
    router.callback_query.register(on_button)
    # Conversation state lives in the store (handlers/conversation.py), so aiogram's own state
    # machine, which would look up a state for every update, is left out.
    dispatcher = Dispatcher(disable_fsm=True, telegram=TelegramTurns(engine, config, max_upload_bytes))
    dispatcher.include_router(router)
    return dispatcher


async def run_turn(
    bot: Bot, telegram: TelegramTurns, inbound: Inbound, chat_id: int, answer: WebhookAnswer | None
) -> None:
    config = telegram.config
    replies = await turns.run_turn(telegram.engine, inbound, config)
    call = None
    if answer is not None and replies and telegram.recent.take_quiet(chat_id):
        call = send_message_call(chat_id, replies[-1], config.default_locale)
    if answer is None or call is None:
        for reply in replies:
            await send_reply(bot, chat_id, reply, config.default_locale)
        return
    for reply in replies[:-1]:
        await send_reply(bot, chat_id, reply, config.default_locale)
    if not answer.offer(call):  # the webhook has answered already
        await send_reply(bot, chat_id, replies[-1], config.default_locale)


async def on_private_message(
    message: Message, bot: Bot, telegram: TelegramTurns, webhook_answer: WebhookAnswer | None = None
) -> None:
    inbound = await message_to_inbound(message, bot, telegram.max_upload_bytes)
    if inbound is not None:
        inbound = await telegram.albums.collect(inbound, message.message_id)
    if inbound is not None:
        await run_turn(bot, telegram, inbound, message.chat.id, webhook_answer)


async def on_group_message(message: Message, bot: Bot, telegram: TelegramTurns) -> None:
    engine = telegram.engine
    if message.migrate_to_chat_id or message.migrate_from_chat_id:  # upgraded to a supergroup
        old, new = (
            (message.chat.id, message.migrate_to_chat_id)
            if message.migrate_to_chat_id
            else (message.migrate_from_chat_id, message.chat.id)
        )
        await turns.in_store(engine, chat_migrated, engine, int(old or 0), int(new or 0))
        return
    inbound = await message_to_inbound(message, bot, telegram.max_upload_bytes)
    if inbound is not None:
        for reply in await turns.run_turn(engine, inbound, telegram.config):
            await send_reply(bot, message.chat.id, reply, telegram.config.default_locale)


async def on_bot_membership(update: ChatMemberUpdated, telegram: TelegramTurns) -> None:
    if update.new_chat_member.status in ("left", "kicked"):
        await turns.in_store(telegram.engine, chat_left, telegram.engine, update.chat.id)


async def on_button(
    query: CallbackQuery, bot: Bot, telegram: TelegramTurns, webhook_answer: WebhookAnswer | None = None
) -> None:
    """A button: the turn, then the message's keyboard is closed, as the press has been answered
    (a turn that fails leaves it open, to be pressed again)."""
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await run_turn(bot, telegram, callback_to_inbound(query), chat_id, webhook_answer)
    if query.message is not None:
        await close_keyboard(bot, chat_id, query.message.message_id)


async def close_keyboard(bot: Bot, chat_id: int, message_id: int) -> None:
    """Remove a message's inline keyboard; one closed already (a double tap's second press) stays so."""
    try:
        await waiting_out_flood(lambda: bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id))
    except TelegramBadRequest as error:
        log.debug("keyboard of message %s in chat %s not closed: %s", message_id, chat_id, error.message)
