"""Several processes on PostgreSQL: `ustaz run --role dispatcher` three times drains one outbox, and a
killed dispatcher's rows are taken over; `--role scheduler` twice gives one leader and a standby that
takes over when the leader dies. On SQLite a role split is refused."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from models import DeliveryAttempt, Notification
from models.store import is_postgres
from sandbox.processes import start_ustaz, stop_all
from sandbox.recipients import seed_broadcast
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from sandbox.telegram_emulator.state import ChatMessage
from scheduler.dispatcher import Dispatcher
from scheduler.leadership import LEADER_LOCK
from tests.support.outbox import until

pytestmark = pytest.mark.flow

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 600
FIRST_CHAT = 700_000


def _environment(db_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_PORT": "0",
        "QUIET_HOURS_START": "00:00",  # no quiet hours, whatever the time of the run
        "QUIET_HOURS_END": "00:00",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def _count(engine: Engine, *where: object) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Notification).where(*where)).one())


def _postgres_only(engine: Engine) -> None:
    if not is_postgres(engine):
        pytest.skip("several processes need PostgreSQL (SQLite is one process)")


async def test_three_dispatchers_deliver_everything_once_when_one_is_killed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _postgres_only(engine)
    seed_broadcast(engine, RECIPIENTS, first_chat=FIRST_CHAT, locale="ru")
    in_flight = inspect.signature(Dispatcher).parameters["in_flight"].default
    received: Counter[int] = Counter()

    def record(message: ChatMessage) -> None:
        received[message.chat_id] += 1

    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        for i in range(RECIPIENTS):
            telegram.add_user(FIRST_CHAT + i, f"G{i}", language_code="ru")
        telegram.on_bot_message.append(record)
        env = _environment(
            db_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.api_url,
            TELEGRAM_RATE_PER_SECOND="40",  # each of the three: slow enough to kill one mid-run
            OUTBOX_LEASE_SECONDS="3",
        )
        logs = [tmp_path / f"dispatcher{n}.log" for n in range(3)]
        dispatchers = [start_ustaz(env, log, "dispatcher") for log in logs]
        try:
            await until(lambda: sum(received.values()) >= 120, 180, "the first sends")
            victim = dispatchers[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            at_kill = sum(received.values())
            assert at_kill < RECIPIENTS
            await until(lambda: _count(engine, Notification.status == "sent") == RECIPIENTS, 180, "all")
            await asyncio.sleep(0.5)  # nothing more may arrive
        finally:
            stop_all(dispatchers)
    tails = "".join(log.read_text()[-1500:] for log in logs)
    assert _count(engine, Notification.status != "sent") == 0, tails
    assert [c for c in range(FIRST_CHAT, FIRST_CHAT + RECIPIENTS) if received[c] == 0] == []
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= in_flight, f"{repeats} repeats with {in_flight} in flight"
    with Session(engine) as session:
        workers = session.exec(select(DeliveryAttempt.notification_id, DeliveryAttempt.outcome)).all()
    per_row = Counter(notification_id for notification_id, _ in workers)
    interrupted = [nid for nid, outcome in workers if outcome == "interrupted"]
    # a row has a second attempt only when the killed dispatcher had it in flight
    assert {nid for nid, count in per_row.items() if count > 1} <= set(interrupted)
    assert len(interrupted) <= in_flight


def _leader_backend(engine: Engine) -> int | None:
    """The PostgreSQL backend holding the scheduler's advisory lock (a bigint key is split in two)."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :high AND l.objid = :low"
            ),
            {"high": LEADER_LOCK >> 32, "low": LEADER_LOCK & 0xFFFFFFFF},
        ).scalar()


async def test_a_standby_scheduler_takes_over_within_a_minute(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _postgres_only(engine)
    env = _environment(
        db_url,
        tmp_path,
        TELEGRAM_BOT_TOKEN="123456:offline",  # the scheduler role never calls Telegram
        TELEGRAM_API_URL="http://127.0.0.1:9",
        SCHEDULER_STANDBY_POLL_SECONDS="0.5",
    )
    leader_log, standby_log = tmp_path / "leader.log", tmp_path / "standby.log"
    leader = start_ustaz(env, leader_log, "scheduler")
    processes = [leader]
    try:
        await until(lambda: _leader_backend(engine) is not None, 180, "a leader")
        first = _leader_backend(engine)
        standby = start_ustaz(env, standby_log, "scheduler")
        processes.append(standby)
        await until(lambda: "standing by" in standby_log.read_text(), 180, "the standby")
        assert _leader_backend(engine) == first
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        await until(lambda: _leader_backend(engine) not in (None, first), 60, "the takeover")
        took = loop.time() - killed_at
        assert standby.poll() is None
    finally:
        stop_all(processes)
    assert took < 60


def test_a_role_split_on_sqlite_is_refused(tmp_path: Path) -> None:
    env = _environment(f"sqlite:///{tmp_path / 'one.sqlite3'}", tmp_path, TELEGRAM_BOT_TOKEN="123456:x")
    log = tmp_path / "refused.log"
    process = start_ustaz(env, log, "dispatcher")
    assert process.wait(60) == 2
    assert "needs PostgreSQL" in log.read_text()


async def test_a_bot_process_answers_and_leaves_the_outbox_to_the_dispatchers(
    tmp_path: Path, db_url: str
) -> None:
    from bots.app import start
    from settings import load_settings

    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        settings = load_settings(
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
            data_dir=tmp_path,
            database_url=db_url,
            http_port=0,
        )
        telegram.add_user(901, "Асқар")
        bot = await start(settings, roles=("bot",))
        dispatcher = await start(settings.model_copy(update={"http_port": 0}), roles=("dispatcher",))
        try:
            telegram.inject_text(901, "/start")
            [reply] = await telegram.wait_for_messages(901, 1, timeout=20)
            assert bot.outbox is None and {t.get_name() for t in bot.tasks} == {"telegram-polling"}
            assert dispatcher.dispatcher is None
            assert {t.get_name() for t in dispatcher.tasks} == {"outbox"}
        finally:
            await dispatcher.stop()
            await bot.stop()
    assert reply.text
