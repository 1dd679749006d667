"""Crash safety: the real process (`python -m bots`) is killed with SIGKILL in the middle of a
2,000-message broadcast and started again. Every recipient gets the message; the only repeats are
sends that were in flight at the kill, so there are no more of them than the dispatcher's in-flight
limit."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import Notification
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage
from scheduler.dispatcher import Dispatcher
from tests.support.outbox import until

pytestmark = pytest.mark.flow

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2000
FIRST_CHAT = 500_000
KILL_AFTER = 400  # messages delivered before the kill


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bots"], cwd=log.parent, env=env, stdout=out, stderr=out
        )


def _sent_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).where(Notification.status == "sent")).one())


async def test_sigkill_mid_broadcast_loses_nothing_and_repeats_at_most_the_in_flight_sends(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seed_broadcast(engine, RECIPIENTS, first_chat=FIRST_CHAT, locale="ru")
    in_flight = inspect.signature(Dispatcher).parameters["in_flight"].default
    received: Counter[int] = Counter()

    def record(message: ChatMessage) -> None:
        received[message.chat_id] += 1

    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        for i in range(RECIPIENTS):
            telegram.add_user(FIRST_CHAT + i, f"G{i}", language_code="ru")
        telegram.on_bot_message.append(record)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.api_url,
            "DATABASE_URL": db_url,
            "DATA_DIR": str(tmp_path / "data"),
            "HTTP_PORT": "0",
            "TELEGRAM_RATE_PER_SECOND": "1000",  # the emulator's limits are lifted: finish quickly
            "QUIET_HOURS_START": "00:00",  # no quiet hours, whatever the time of the run
            "QUIET_HOURS_END": "00:00",
            "LOG_LEVEL": "WARNING",
        }
        log = tmp_path / "process.log"
        first = _start(env, log)
        try:
            await until(
                lambda: sum(received.values()) >= KILL_AFTER or first.poll() is not None, 120, "sends"
            )
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        at_kill = sum(received.values())
        assert KILL_AFTER <= at_kill < RECIPIENTS, log.read_text()[-2000:]

        second = _start(env, log)
        try:
            await until(
                lambda: _sent_rows(engine) == RECIPIENTS or second.poll() is not None, 240, "delivery"
            )
            await asyncio.sleep(0.3)  # nothing more may arrive
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
    assert _sent_rows(engine) == RECIPIENTS, log.read_text()[-2000:]
    lost = [chat for chat in range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS) if received[chat] == 0]
    repeats = sum(count - 1 for count in received.values())
    assert lost == []
    assert repeats <= in_flight, f"{repeats} repeats with {in_flight} in flight"
