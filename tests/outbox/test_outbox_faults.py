"""Several dispatchers, one budget; 429s; stopping; a scheduler leader that loses its lock.

The 429 test talks HTTP to the Telegram emulator through the real sender. The shared budget and the
leader's lock are PostgreSQL's and skip on SQLite-only runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from bots.app import make_bot
from bots.telegram.sender import TelegramSender
from locales import T
from models import DeliveryAttempt, Notification
from models.store import session_scope
from outbox.write import enqueue
from sandbox.telegram_emulator import RateLimits, TelegramEmulator
from scheduler.app import run_scheduler
from scheduler.dispatcher import Dispatcher
from scheduler.leadership import leader_sessions
from settings import Settings
from tests.support.outbox import identity, person, senders, side_by_side, until

pytestmark = [pytest.mark.store, pytest.mark.usefixtures("daytime")]

TEXT = T("notify.subject.algebra")
FIRST_CHAT = 70_000


def _rows_to_chats(engine: Engine, chats: list[int], key: str = "m") -> None:
    """One message to each chat (a chat named twice gets two)."""
    with session_scope(engine) as session:
        people: dict[int, int] = {}
        for n, chat in enumerate(chats):
            if chat not in people:
                someone = person(session, f"p{chat}")
                assert someone.id is not None
                identity(session, someone.id, "telegram", str(chat))
                people[chat] = someone.id
            enqueue(session, person_id=people[chat], kind="x", text=TEXT, idempotency_key=f"{key}:{n}:")


def _rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]


def _attempts(engine: Engine) -> list[DeliveryAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all())  # type: ignore[arg-type]


def _most_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + seconds - 0.002) for t in times)


# -- one budget ---------------------------------------------------------------------------------


def test_two_dispatchers_share_one_budget_per_bot_and_per_chat(engine: Engine, settings: Settings) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several dispatcher processes share their budget in PostgreSQL")
    busy = FIRST_CHAT
    _rows_to_chats(engine, [busy] * 3 + [FIRST_CHAT + 1 + i for i in range(57)])
    paced = settings.model_copy(update={"telegram_rate_per_second": 20.0})
    outs = [senders("telegram"), senders("telegram")]
    dispatchers = [
        Dispatcher(engine, out, paced, worker_id=f"w{i}", in_flight=8, single_process=False)
        for i, out in enumerate(outs)
    ]
    errors = side_by_side(*(d.run_until_idle for d in dispatchers))
    assert not errors, errors
    sent = [item for out in outs for item in out["telegram"].sent]
    assert Counter(item.message.address for item in sent)[str(busy)] == 3 and len(sent) == 60
    # 20/s for the bot across both processes, not 20/s each (40/s): the 60 sends' slots span 59
    # gaps of 1/20 s; a busy machine can wake a few sends late, bunching them a little
    times = [item.at for item in sent]
    assert max(times) - min(times) >= 59 / 20 - 0.1
    assert _most_in_window(times, 1.0) <= 24
    # 1/s for the chat, whichever process sent
    assert _most_in_window([item.at for item in sent if item.message.address == str(busy)], 1.0) == 1
    # both did a share of the work
    assert min(len(out["telegram"].sent) for out in outs) >= 15
    assert {row.status for row in _rows(engine)} == {"sent"}


# -- a 429 ---------------------------------------------------------------------------------------


async def test_a_429_waits_its_retry_after_and_never_uses_a_try(engine: Engine, settings: Settings) -> None:
    chat = FIRST_CHAT
    _rows_to_chats(engine, [chat])
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as telegram:
        telegram.add_user(chat, "G")
        telegram.limit_chat(chat, 2.0, from_next_send=True)  # three 429s in a row (retry_after 2, then 1, 1)
        configured = settings.model_copy(
            update={"telegram_bot_token": telegram.token, "telegram_api_url": telegram.api_url}
        )
        bot = make_bot(configured)
        try:
            # One try allowed: were a 429 a try, the message would be given up at the first one.
            dispatcher = Dispatcher(engine, {"telegram": TelegramSender(bot)}, configured, max_attempts=1)
            await dispatcher.run_until_idle()
            (row,) = _rows(engine)
            assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at is not None
            assert [a.outcome for a in _attempts(engine)] == ["throttled"]
            for _ in range(20):
                if _rows(engine)[0].status == "sent":
                    break
                await asyncio.sleep(0.25)
                await dispatcher.run_until_idle()
        finally:
            await bot.session.close()
        (row,) = _rows(engine)
        outcomes = [a.outcome for a in _attempts(engine)]
        assert row.status == "sent" and row.attempts == 1
        assert outcomes[-1] == "delivered" and set(outcomes[:-1]) == {"throttled"}
        assert len(telegram.sent(chat)) == 1


# -- stopping ------------------------------------------------------------------------------------


async def test_stop_lets_the_sends_under_way_finish_and_gives_back_the_rest_at_once(
    engine: Engine, settings: Settings
) -> None:
    _rows_to_chats(engine, [FIRST_CHAT + i for i in range(6)])
    out = senders("telegram")
    out["telegram"].delay = 0.6  # a slow API: each send takes 0.6 s
    slow = settings.model_copy(update={"telegram_rate_per_second": 4.0})  # slots 0.25 s apart
    dispatcher = Dispatcher(engine, out, slow, in_flight=6, drain=5.0)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    while len(out["telegram"].sent) < 2:
        await asyncio.sleep(0.01)
    stop.set()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(running, 10)
    assert loop.time() - started < 1.5  # not the lease, not the whole drain bound
    rows = _rows(engine)
    begun = len(out["telegram"].sent)
    assert sum(row.status == "sent" for row in rows) == begun  # every send under way finished
    assert sum(row.status == "pending" for row in rows) == 6 - begun > 0  # the rest given back now
    assert all(row.claimed_by is None for row in rows if row.status == "pending")


async def test_stop_cuts_off_a_send_past_the_bound_and_gives_its_row_back(
    engine: Engine, settings: Settings
) -> None:
    _rows_to_chats(engine, [FIRST_CHAT])
    out = senders("telegram")
    out["telegram"].delay = 30.0  # an API that never answers
    dispatcher = Dispatcher(engine, out, settings, drain=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    while not out["telegram"].sent:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, 5)
    (row,) = _rows(engine)
    assert row.status == "pending" and row.claimed_by is None
    # its outcome is unknown: the attempt says so, and the next dispatcher sees it
    assert [a.outcome for a in _attempts(engine)] == ["interrupted"]


# -- the scheduler's leader ----------------------------------------------------------------------


async def test_a_leader_that_loses_its_lock_stops_at_once_and_the_standby_takes_over(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the leader's lock is PostgreSQL's")
    caplog.set_level(logging.INFO, logger="ustaz.scheduler")
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(run_scheduler(engine, settings, first_stop, standby_poll=0.2, heartbeat=0.2))
    await until(lambda: "scheduler: leading" in caplog.text, 10, "the first leader")
    second = asyncio.create_task(
        run_scheduler(engine, settings, second_stop, standby_poll=0.2, heartbeat=0.2)
    )
    await asyncio.sleep(1.5)  # several polls of the standby
    assert caplog.text.count("standing by") == 1  # logged once, not at every poll
    (leader,) = leader_sessions(engine)
    with engine.connect() as connection:  # the leader's database session goes (as in a restart)
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": leader})
    await until(lambda: "lost the leader lock" in caplog.text, 2, "the old leader to notice")
    await until(lambda: caplog.text.count("scheduler: leading") == 2, 10, "the standby to take over")
    lines = [r.getMessage() for r in caplog.records if r.name == "ustaz.scheduler"]
    lost = next(i for i, line in enumerate(lines) if "lost the leader lock" in line)
    took_over = max(i for i, line in enumerate(lines) if "scheduler: leading" in line)
    assert lost < took_over  # never two leaders, by the logs
    assert len(leader_sessions(engine)) == 1 and leader_sessions(engine) != [leader]
    first_stop.set()
    second_stop.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
