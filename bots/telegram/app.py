"""The aiogram dispatcher: every private message and button press goes to the handlers."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy import Engine

from bots import turns
from bots.telegram.albums import AlbumCollector
from bots.telegram.filters import GROUP, PRIVATE
from bots.telegram.inbound import callback_to_inbound, message_to_inbound
from bots.telegram.render import send_reply
from bots.telegram.webhook_answer import RecentChats, WebhookAnswer, send_message_call
from handlers.class_chat import chat_left, chat_migrated
from handlers.context import Config
from handlers.types import Inbound

log = logging.getLogger(__name__)


def build_dispatcher(engine: Engine, config: Config, max_upload_bytes: int) -> Dispatcher:
    """Updates that come by webhook carry a `webhook_answer`: a private chat's last reply may go
    back in it (see bots/telegram/webhook_answer.py)."""
    router = Router(name="ustaz")
    albums = AlbumCollector()
    recent = RecentChats()

    async def run_turn(bot: Bot, inbound: Inbound, chat_id: int, answer: WebhookAnswer | None) -> None:
        replies = await turns.run_turn(engine, inbound, config)
        call = None
        if answer is not None and replies and recent.take_quiet(chat_id):
            call = send_message_call(chat_id, replies[-1], config.default_locale)
        if answer is None or call is None:
            for reply in replies:
                await send_reply(bot, chat_id, reply, config.default_locale)
            return
        for reply in replies[:-1]:
            await send_reply(bot, chat_id, reply, config.default_locale)
        if not answer.offer(call):  # the webhook has answered already
            await send_reply(bot, chat_id, replies[-1], config.default_locale)

    @router.message(PRIVATE)
    async def on_private_message(
        message: Message, bot: Bot, webhook_answer: WebhookAnswer | None = None
    ) -> None:
        inbound = await message_to_inbound(message, bot, max_upload_bytes)
        if inbound is not None:
            inbound = await albums.collect(inbound, message.message_id)
        if inbound is not None:
            await run_turn(bot, inbound, message.chat.id, webhook_answer)

    @router.message(GROUP)
    async def on_group_message(message: Message, bot: Bot) -> None:
        if message.migrate_to_chat_id or message.migrate_from_chat_id:  # upgraded to a supergroup
            old, new = (
                (message.chat.id, message.migrate_to_chat_id)
                if message.migrate_to_chat_id
                else (message.migrate_from_chat_id, message.chat.id)
            )
            await turns.in_store(engine, chat_migrated, engine, int(old or 0), int(new or 0))
            return
        inbound = await message_to_inbound(message, bot, max_upload_bytes)
        if inbound is not None:
            for reply in await turns.run_turn(engine, inbound, config):
                await send_reply(bot, message.chat.id, reply, config.default_locale)

    @router.my_chat_member(GROUP)
    async def on_bot_membership(update: ChatMemberUpdated) -> None:
        if update.new_chat_member.status in ("left", "kicked"):
            await turns.in_store(engine, chat_left, engine, update.chat.id)

    @router.callback_query()
    async def on_button(query: CallbackQuery, bot: Bot, webhook_answer: WebhookAnswer | None = None) -> None:
        await query.answer()
        chat_id = query.message.chat.id if query.message else query.from_user.id
        await run_turn(bot, callback_to_inbound(query), chat_id, webhook_answer)

    # Conversation state lives in the store (handlers/conversation.py), so aiogram's own state
    # machine, which would look up a state for every update, is left out.
    dispatcher = Dispatcher(disable_fsm=True)
    dispatcher.include_router(router)
    return dispatcher
