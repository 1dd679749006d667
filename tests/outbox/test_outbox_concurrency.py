"""No row is ever given twice; pacing per chat is never exceeded and never stalls other chats."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from locales import T
from models import DeliveryAttempt, Notification
from models.store import session_scope
from outbox.claim import claim
from outbox.pacing import Pacer
from outbox.write import enqueue
from scheduler.dispatcher import Dispatcher
from settings import Settings
from tests.support.outbox import Sent, identity, person, school, senders, side_by_side

# Each test expects its messages at once: they run outside quiet hours.
pytestmark = [pytest.mark.store, pytest.mark.usefixtures("daytime")]

TEXT = T("subject.algebra")


def _people_with_rows(engine: Engine, count: int) -> None:
    with session_scope(engine) as session:
        for i in range(count):
            someone = person(session, f"teacher{i}")
            assert someone.id is not None
            identity(session, someone.id, "telegram", str(50_000 + i))
            enqueue(session, person_id=someone.id, kind="x", text=TEXT, idempotency_key=f"many:{i}:")


def test_two_claimers_never_take_the_same_row(engine: Engine) -> None:
    _people_with_rows(engine, 150)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def claimer(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            while ids := claim(engine, name, 7):
                taken[name].extend(ids)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    every = taken["a"] + taken["b"]
    assert len(every) == len(set(every)) == 150
    with Session(engine) as session:
        rows = session.exec(select(Notification)).all()
        assert {r.status for r in rows} == {"sending"}
        assert all(r.id in taken[r.claimed_by or ""] for r in rows)


def test_two_dispatchers_deliver_each_row_exactly_once(engine: Engine, settings: Settings) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several dispatcher processes need PostgreSQL (SQLite runs one dispatcher)")
    _people_with_rows(engine, 120)
    fast = settings.model_copy(update={"telegram_rate_per_second": 1000.0})
    outs = [senders("telegram"), senders("telegram")]
    for out in outs:
        out["telegram"].delay = 0.002
    dispatchers = [
        Dispatcher(engine, out, fast, worker_id=f"w{i}", in_flight=8) for i, out in enumerate(outs)
    ]
    errors = side_by_side(*(d.run_until_idle for d in dispatchers))
    assert not errors, errors
    addresses = Counter(a for out in outs for a in out["telegram"].addresses())
    assert len(addresses) == 120 and set(addresses.values()) == {1}
    with Session(engine) as session:
        assert {r.status for r in session.exec(select(Notification)).all()} == {"sent"}
        attempts = session.exec(select(func.count()).select_from(DeliveryAttempt)).one()
        assert attempts == 120


def _max_in_window(times: list[float], seconds: float) -> int:
    """The most sends in any window of `seconds` (1 ms of slack for clock reads)."""
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + seconds - 0.001) for t in times)


async def test_a_private_chat_gets_at_most_one_message_a_second(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        s = school(session)
        for n in range(3):
            enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key=f"busy:{n}:")
        for pupil in s.pupils:
            enqueue(session, person_id=pupil, kind="x", text=TEXT, idempotency_key=f"other:{pupil}:")
    out = senders("telegram")
    await Dispatcher(engine, out, settings).run_until_idle()
    sent: list[Sent] = out["telegram"].sent
    assert len(sent) == 6
    by_chat: dict[str, list[float]] = {}
    for item in sent:
        by_chat.setdefault(item.message.address, []).append(item.at)
    tutor = by_chat.pop("1001")
    assert len(tutor) == 3 and _max_in_window(tutor, 1.0) == 1
    # the busy chat did not hold up the others: all of them went before its second message
    assert max(t for times in by_chat.values() for t in times) < sorted(tutor)[1]


async def test_per_chat_rate_comes_from_settings(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        s = school(session)
        for n in range(12):
            enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key=f"rate:{n}:")
    quick = settings.model_copy(update={"telegram_rate_per_chat_per_second": 5.0})
    out = senders("telegram")
    await Dispatcher(engine, out, quick).run_until_idle()
    times = [item.at for item in out["telegram"].sent]
    assert len(times) == 12
    assert _max_in_window(times, 1.0) <= 5


def test_group_chat_window_is_twenty_a_minute(settings: Settings) -> None:
    now = [1000.0]
    pacer = Pacer(settings, monotonic=lambda: now[0])
    chat = "telegram:-100200"
    for _ in range(20):
        assert pacer.next_allowed(chat, is_group=True) == 0
        pacer.take(chat)
        assert pacer.next_allowed(chat, is_group=True) > 0  # busy while in flight
        asyncio.run(pacer.start_send("other", chat))
        pacer.release(chat)
        now[0] += 0.5
    assert pacer.next_allowed(chat, is_group=True) == pytest.approx(50.0)
    now[0] += 50.0
    assert pacer.next_allowed(chat, is_group=True) == 0
    # a private chat: one a second
    pacer.take("telegram:7")
    asyncio.run(pacer.start_send("other", "telegram:7"))
    pacer.release("telegram:7")
    assert pacer.next_allowed("telegram:7", is_group=False) == pytest.approx(1.0)


async def test_group_chat_rows_are_sent_as_telegram_in_the_default_language(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        enqueue(session, group_chat_id=-100777, kind="lesson.changed", text=TEXT, idempotency_key="gc:")
    out = senders("telegram")
    await Dispatcher(engine, out, settings).run_until_idle()
    (item,) = out["telegram"].sent
    assert item.message.address == "-100777" and item.message.text == "Алгебра"
