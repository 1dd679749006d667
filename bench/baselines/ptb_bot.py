"""The minimal python-telegram-bot 22 bot: one `/start` handler, `Application.run_webhook` (its
tornado server), the reply as a request of its own (the library has no answer-in-the-webhook), all
settings at their defaults. What a school would get writing the bot with that library instead.

Installed only with the bench-baselines dependency group:

    uv run --frozen --group bench-baselines python -m bench.baselines.ptb_bot
"""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bench.baselines import WEBHOOK_PATH, Deployment, greeting, share_phone

TEXT = greeting()
KEYBOARD = ReplyKeyboardMarkup(
    [[KeyboardButton(share_phone(), request_contact=True)]], resize_keyboard=True, one_time_keyboard=True
)


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None:
        await update.message.reply_text(TEXT, reply_markup=KEYBOARD)


def main() -> None:
    deployment = Deployment.from_environment()
    application = (
        Application.builder()
        .token(deployment.token)
        .base_url(f"{deployment.api_url}/bot")
        .base_file_url(f"{deployment.api_url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.run_webhook(
        listen="127.0.0.1",
        port=deployment.port,
        url_path=WEBHOOK_PATH.lstrip("/"),
        webhook_url=deployment.webhook_url,
        secret_token=deployment.secret or None,
    )


if __name__ == "__main__":
    main()
