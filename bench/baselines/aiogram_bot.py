"""The minimal aiogram 3 bot: one `/start` handler behind aiogram's own webhook handler, answering in
the webhook's answer (`handle_in_background=False` and the handler returns the call), as Ustaz
answers a stranger. What aiogram alone costs per update.

    python -m bench.baselines.aiogram_bot    # configured by the environment: see bench.baselines
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bench.baselines import WEBHOOK_PATH, Deployment, greeting, share_phone

router = Router()
TEXT = greeting()
KEYBOARD = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text=share_phone(), request_contact=True)]],
    resize_keyboard=True,
    one_time_keyboard=True,
)


@router.message(CommandStart())
async def start(message: Message) -> SendMessage:
    return message.answer(TEXT, reply_markup=KEYBOARD)


def main() -> None:
    deployment = Deployment.from_environment()
    session = AiohttpSession(api=TelegramAPIServer.from_base(deployment.api_url))
    bot = Bot(deployment.token, session=session)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    async def set_webhook() -> None:
        await bot.set_webhook(deployment.webhook_url, secret_token=deployment.secret or None)

    dispatcher.startup.register(set_webhook)
    app = web.Application()
    handler = SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token=deployment.secret or None
    )
    handler.register(app, path=WEBHOOK_PATH)
    setup_application(app, dispatcher, bot=bot)
    web.run_app(app, host="127.0.0.1", port=deployment.port, print=None)


if __name__ == "__main__":
    main()
