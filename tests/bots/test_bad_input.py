"""Bad input never gives a 500: a broken body to the Twilio webhooks is refused with 400 before the
signature is even checked, and a Telegram update with the right secret but missing or wrong fields is
answered 200 (Telegram would send a 5xx again and again) and dropped with one log line; neither leaves
a stack trace at ERROR. What a family really writes still gets its answer."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots.app import TELEGRAM_WEBHOOK_PATH, start
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from settings import load_settings
from tests.bots.test_hostile_webhook import SECRET, SECRET_HEADER, _update
from tests.e2e.test_whatsapp_flow import launch

pytestmark = pytest.mark.flow

BROKEN_BODIES: list[tuple[str, bytes]] = [
    ("multipart/form-data", b'--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi'),  # no boundary
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi'),
    ("multipart/form-data; boundary=x", b"--x\r\nno headers end here"),
    ("multipart/form-data; boundary=x", b"\xff\xfe\x00garbage"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"Body=hi&From=%2B7701"),
]

BROKEN_UPDATES: list[Any] = [
    {"update_id": 7},  # nothing in it
    {"update_id": "seven", "message": {}},
    {"message": {"text": "/start"}},  # no update_id
    {"update_id": 8, "message": {"text": "/start"}},  # no chat, no date, no id
    {"update_id": 9, "message": {"message_id": 1, "date": 1, "chat": {"id": 1}, "text": "/start"}},
    {"update_id": 10, "message": {"message_id": 1, "date": 1, "chat": {"id": 4343, "type": "private"}}},
    {"update_id": 11, "callback_query": {"id": "1", "data": "x"}},
    {
        "update_id": 12,
        "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "text": 5},
    },
]


def _stack_traces(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]


async def test_broken_bodies_to_the_twilio_webhooks_get_400_and_no_stack_trace(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        engine.dispose()
        caplog.clear()
        try:
            statuses = []
            async with aiohttp.ClientSession() as http:
                for path in ("/twilio/whatsapp", "/twilio/sms", "/twilio/status"):
                    for content_type, body in BROKEN_BODIES:
                        response = await http.post(
                            running.web_url + path,
                            data=body,
                            headers={"Content-Type": content_type, "X-Twilio-Signature": "forged"},
                        )
                        statuses.append((path, content_type, response.status))
            traces = _stack_traces(caplog)
        finally:
            await running.stop()
    assert {status for _, _, status in statuses} == {400}, statuses
    assert traces == []


async def test_an_update_with_the_secret_but_missing_fields_is_answered_200_and_dropped(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with TelegramEmulator() as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            telegram_webhook_url="http://127.0.0.1:9",
            telegram_webhook_secret=SECRET,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        telegram.add_user(4343, "Genuine")
        running = await start(settings)
        url = running.web_url + TELEGRAM_WEBHOOK_PATH
        caplog.clear()
        try:
            async with aiohttp.ClientSession() as http:
                statuses = []
                for update in BROKEN_UPDATES:
                    response = await http.post(url, json=update, headers={SECRET_HEADER: SECRET})
                    statuses.append(response.status)
                genuine = await http.post(url, json=_update(20, 4343), headers={SECRET_HEADER: SECRET})
                answer = await genuine.json()
            traces = _stack_traces(caplog)
        finally:
            await running.stop()
    assert statuses == [200] * len(BROKEN_UPDATES)
    assert answer["method"] == "sendMessage" and answer["chat_id"] == 4343  # a real one still answered
    assert traces == []
    dropped = [r for r in caplog.records if r.name == "bots.telegram.webhook" and "dropped" in r.getMessage()]
    assert len(dropped) >= 4
