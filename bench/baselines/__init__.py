"""The bots Ustaz's turn is measured against (`bench/turn_baseline.py`): the smallest bot each
library's documentation leads to, answering `/start` with Ustaz's own greeting and keyboard, in
webhook mode, configured by the same settings as Ustaz (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL,
TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, HTTP_PORT). They are not part of the product."""

from __future__ import annotations

import os
from dataclasses import dataclass

from locales import translate

WEBHOOK_PATH = "/telegram/webhook"
LOCALE = "kk"  # Ustaz greets a stranger in Kazakh


@dataclass(frozen=True)
class Deployment:
    token: str
    api_url: str
    webhook_url: str
    secret: str
    port: int

    @classmethod
    def from_environment(cls) -> Deployment:
        return cls(
            token=os.environ["TELEGRAM_BOT_TOKEN"],
            api_url=os.environ["TELEGRAM_API_URL"].rstrip("/"),
            webhook_url=os.environ["TELEGRAM_WEBHOOK_URL"].rstrip("/") + WEBHOOK_PATH,
            secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
            port=int(os.environ["HTTP_PORT"]),
        )


def greeting() -> str:
    """What Ustaz answers a stranger's `/start`."""
    return translate(LOCALE, "start.stranger")


def share_phone() -> str:
    """The one button of the keyboard under that answer (it shares the person's number; the
    keyboard is resized and hides after use)."""
    return translate(LOCALE, "join.share_phone")
