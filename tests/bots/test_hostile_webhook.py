"""A forged Telegram webhook, over HTTP to the real process: without the secret token header, or with
a wrong one, the update is refused and nothing is processed; a body that is not an update is
refused; with the right one it is handled and answered."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bots.app import TELEGRAM_WEBHOOK_PATH, start
from models import ChannelIdentity, InboundReceipt
from sandbox.telegram_emulator.emulator import TelegramEmulator
from settings import load_settings

pytestmark = pytest.mark.flow

SECRET = "the-secret-Telegram-echoes"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "X"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "X"},
            "from": user,
            "text": "/start",
        },
    }


def _handled(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        receipts = session.exec(select(func.count()).select_from(InboundReceipt)).one()
        identities = session.exec(select(func.count()).select_from(ChannelIdentity)).one()
    return int(receipts), int(identities)


async def test_a_webhook_without_the_right_secret_is_refused_and_changes_nothing(
    tmp_path: Path, db_url: str
) -> None:
    async with TelegramEmulator() as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            telegram_webhook_url="http://127.0.0.1:9",  # where Telegram would call; the test calls directly
            telegram_webhook_secret=SECRET,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        telegram.add_user(4242, "Forger")
        telegram.add_user(4343, "Genuine")
        running = await start(settings)
        url = running.web_url + TELEGRAM_WEBHOOK_PATH
        try:
            async with aiohttp.ClientSession() as http:
                forged = [
                    await http.post(url, json=_update(1, 4242)),
                    await http.post(url, json=_update(2, 4242), headers={SECRET_HEADER: "guess"}),
                    await http.post(url, json=_update(3, 4242), headers={SECRET_HEADER: ""}),
                ]
                statuses = [response.status for response in forged]
                after_forged = _handled(running.engine)
                signed = {SECRET_HEADER: SECRET}
                malformed = [
                    await http.post(url, data=b"{not json", headers=signed),
                    await http.post(url, json=[1, 2], headers=signed),
                ]
                after_malformed = _handled(running.engine)
                genuine = await http.post(url, json=_update(4, 4343), headers=signed)
                genuine_status = genuine.status
                # The reply to a quiet private chat is the webhook's answer: Telegram sends it.
                reply = await genuine.json()
            after_genuine = _handled(running.engine)
        finally:
            await running.stop()
    assert all(status in (401, 403) for status in statuses), statuses
    assert after_forged == (0, 0)
    assert telegram.sent(4242) == []
    assert [response.status for response in malformed] == [400, 400]
    assert after_malformed == (0, 0)
    assert genuine_status == 200
    assert reply["method"] == "sendMessage" and reply["chat_id"] == 4343 and reply["text"]
    assert after_genuine == (1, 0)  # handled once; someone unknown who said hello is not kept
