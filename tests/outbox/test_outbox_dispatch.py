"""The outbox dispatcher: delivery, retries, fallback, the WhatsApp window, quiet hours, crash recovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from locales import T
from models import AuditLog, ChannelIdentity, DeliveryAttempt, Notification, Person
from models.clock import utcnow
from models.store import session_scope
from outbox.claim import claim, reconcile
from outbox.sender import Outcome, Outgoing, SendResult
from outbox.settle import backoff
from outbox.write import enqueue, unreached
from sandbox.recipients import seed_broadcast
from scheduler.dispatcher import Dispatcher
from settings import Settings
from tests.support.outbox import RecordingSender, identity, person, school, senders

# Each test expects its messages at once: they run outside quiet hours.
pytestmark = [pytest.mark.store, pytest.mark.usefixtures("daytime")]

ALMATY = ZoneInfo("Asia/Almaty")
TEXT = T("notify.homework.reminder", subject=T("subject.algebra"), due="04.03 18:00")


class Clock:
    """A settable clock for the dispatcher (aware UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()


def _rows(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]


def _attempts(engine: Engine, notification_id: int) -> list[DeliveryAttempt]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.notification_id == notification_id)
                .order_by(DeliveryAttempt.id)  # type: ignore[arg-type]
            ).all()
        )


def _fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"telegram_rate_per_second": 1000.0, "twilio_rate_per_second": 1000.0})


async def test_due_rows_are_delivered_once_in_each_persons_language(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        s = school(session)
        for who in [*s.pupils, s.guardians[0]]:
            enqueue(
                session, person_id=who, kind="homework.reminder", text=TEXT, idempotency_key=f"hw:1:{who}:"
            )
        later = enqueue(
            session,
            person_id=s.tutor_id,
            kind="x",
            text=TEXT,
            idempotency_key="later:",
            due_at=utcnow() + timedelta(hours=1),
        )
        assert later is not None
    out = senders()
    dispatcher = Dispatcher(engine, out, _fast(settings))
    assert await dispatcher.run_until_idle() == 4
    assert await dispatcher.run_until_idle() == 0
    sent = out["telegram"].sent
    assert len(sent) == 4 and len({s.message.address for s in sent}) == 4
    texts = [s.message.text for s in sent]
    assert sum("Алгебра пәні бойынша" in t for t in texts) == 3  # pupils: Kazakh
    assert sum("по предмету «Алгебра»" in t for t in texts) == 1  # the guardian chose Russian
    rows = {r.idempotency_key: r for r in _rows(engine)}
    assert rows["later:"].status == "pending"
    for row in rows.values():
        if row.status == "sent":
            attempts = _attempts(engine, row.id or 0)
            assert [a.outcome for a in attempts] == ["delivered"]
            assert attempts[0].provider_id and row.channel == "telegram" and row.sent_at is not None


async def test_retry_backs_off_exponentially_and_a_429_waits_its_retry_after_without_using_a_try(
    engine: Engine, settings: Settings
) -> None:
    start = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # 15:00 in Almaty, outside quiet hours
    clock = Clock(start)
    with session_scope(engine) as session:
        s = school(session)
        enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key="r:", due_at=start)
    out = senders()
    address = out["telegram"]
    tutor_chat = "1001"
    address.script[tutor_chat] = [
        SendResult(Outcome.THROTTLED, retry_after=7.0, error="429"),
        SendResult(Outcome.RETRY, error="timeout"),
        SendResult(Outcome.RETRY, error="timeout"),
    ]
    dispatcher = Dispatcher(engine, out, _fast(settings), clock=clock, monotonic=clock.monotonic)
    await dispatcher.run_until_idle()
    (row,) = _rows(engine)
    assert row.status == "pending" and row.attempts == 0  # a 429 is not a try
    assert row.next_attempt_at == start + timedelta(seconds=7)  # exactly the provider's retry_after

    clock.now = start + timedelta(seconds=6)
    assert await dispatcher.run_until_idle() == 0  # not yet
    clock.now = start + timedelta(seconds=7)
    await dispatcher.run_until_idle()
    (row,) = _rows(engine)
    assert (
        row.next_attempt_at == clock.now + timedelta(seconds=backoff(1)) == clock.now + timedelta(seconds=2)
    )

    clock.now += timedelta(seconds=2)
    await dispatcher.run_until_idle()
    (row,) = _rows(engine)
    assert row.next_attempt_at == clock.now + timedelta(seconds=backoff(2))
    clock.now += timedelta(seconds=4)
    await dispatcher.run_until_idle()
    (row,) = _rows(engine)
    assert row.status == "sent" and row.attempts == 3
    assert [a.outcome for a in _attempts(engine, row.id or 0)] == ["throttled", "retry", "retry", "delivered"]
    assert [backoff(n) for n in (1, 2, 3, 9, 10, 20)] == [2, 4, 8, 512, 600, 600]


async def test_retries_exhausted_fall_back_to_the_next_channel(engine: Engine, settings: Settings) -> None:
    clock = Clock(datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    with session_scope(engine) as session:
        someone = person(session, "teacher")
        assert someone.id is not None
        identity(session, someone.id, "telegram", "501", priority=0)
        identity(session, someone.id, "sms", "+77011234567", priority=1)
        enqueue(session, person_id=someone.id, kind="x", text=TEXT, idempotency_key="ex:", due_at=clock.now)
    out = senders()
    out["telegram"].answer = lambda _m: SendResult(Outcome.RETRY, error="5xx")
    dispatcher = Dispatcher(
        engine, out, _fast(settings), clock=clock, monotonic=clock.monotonic, max_attempts=3
    )
    for _ in range(3):
        await dispatcher.run_until_idle()
        clock.now += timedelta(minutes=11)
    (row,) = _rows(engine)
    assert row.status == "sent" and row.channel == "sms"
    assert len(out["telegram"].sent) == 3 and len(out["sms"].sent) == 1
    assert [a.outcome for a in _attempts(engine, row.id or 0)] == ["retry", "retry", "failed", "delivered"]


async def test_fallback_chain_ends_on_the_class_teachers_list(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        chain = person(session, "chain")
        post = person(session, "post")
        second = person(session, "second")
        for who in (chain, post, second):
            assert who.id is not None
        assert chain.id and post.id and second.id
        identity(session, chain.id, "telegram", "701", priority=0)
        identity(session, chain.id, "whatsapp", "+77011110001", priority=1)
        identity(session, chain.id, "sms", "+77011110001", priority=2)
        identity(session, post.id, "post", "Абай к-сі 1, Шымкент", priority=0)
        identity(session, post.id, "sms", "+77011110002", priority=1)
        identity(session, second.id, "telegram", "702", priority=0)
        identity(session, second.id, "whatsapp", "+77011110003", priority=1)
        for who in (chain, post, second):
            enqueue(session, person_id=who.id, kind="x", text=TEXT, idempotency_key=f"fb:{who.id}:")
    out = senders()
    out["telegram"].script = {
        "701": [SendResult(Outcome.BLOCKED, error="403")],
        "702": [SendResult(Outcome.FAILED)],
    }
    out["whatsapp"].script = {"+77011110001": [SendResult(Outcome.FAILED, error="63016")]}
    out["sms"].script = {"+77011110001": [SendResult(Outcome.FAILED, error="21211")]}
    await Dispatcher(engine, out, _fast(settings)).run_until_idle()

    rows = {r.person_id: r for r in _rows(engine)}
    assert rows[chain.id].status == "no_channel"
    assert [a.outcome for a in _attempts(engine, rows[chain.id].id or 0)] == ["blocked", "failed", "failed"]
    assert rows[post.id].status == "no_channel"  # post comes first: no message at all
    assert rows[second.id].status == "sent" and rows[second.id].channel == "whatsapp"
    assert out["sms"].addresses() == ["+77011110001"]  # the post person's sms was never tried
    with Session(engine) as session:
        blocked = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == "701")).one()
        assert blocked.blocked_at is not None
        audits = session.exec(select(AuditLog).where(AuditLog.action == "notification.no_channel")).all()
        assert {a.entity_id for a in audits} == {rows[chain.id].id, rows[post.id].id}
        assert all(set(a.detail) == {"person_id", "kind", "reason"} for a in audits)  # ids, no addresses
        assert {n.person_id for n in unreached(session)} == {chain.id, post.id}
    # a blocked identity is skipped from then on
    with session_scope(engine) as session:
        enqueue(session, person_id=chain.id, kind="x", text=TEXT, idempotency_key="fb:again:")
    await Dispatcher(engine, out, _fast(settings)).run_until_idle()
    assert out["telegram"].addresses().count("701") == 1


@pytest.mark.parametrize(
    ("silence", "within"), [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)]
)
async def test_whatsapp_24_hour_window(
    engine: Engine, settings: Settings, silence: timedelta, within: bool
) -> None:
    now = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        parent = person(session, "parent", locale="ru")
        assert parent.id is not None
        identity(session, parent.id, "whatsapp", "+77011112233", last_inbound_at=now - silence)
        enqueue(
            session,
            person_id=parent.id,
            kind="homework.reminder",
            text=TEXT,
            idempotency_key="wa:",
            due_at=now,
        )
    out = senders()
    await Dispatcher(engine, out, _fast(settings), clock=Clock(now)).run_until_idle()
    (sent,) = out["whatsapp"].sent
    assert sent.message.within_session is within
    assert sent.message.template_key == "homework.reminder"
    assert sent.message.template_params == ("Алгебра", "04.03 18:00")  # in the order the text uses them


async def test_quiet_hours_defer_non_urgent_and_let_urgent_through(
    engine: Engine, settings: Settings
) -> None:
    evening = datetime(2025, 3, 3, 22, 30, tzinfo=ALMATY)
    with time_machine.travel(evening, tick=True):
        with session_scope(engine) as session:
            s = school(session)
            night_owl = session.get(Person, s.assistant_id)
            assert night_owl is not None
            night_owl.quiet_start, night_owl.quiet_end = time(23, 30), time(7, 0)
            enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key="q:calm:")
            enqueue(
                session, person_id=s.pupils[0], kind="x", text=TEXT, idempotency_key="q:urgent:", urgent=True
            )
            enqueue(session, person_id=s.assistant_id, kind="x", text=TEXT, idempotency_key="q:own:")
        out = senders()
        await Dispatcher(engine, out, _fast(settings)).run_until_idle()
    rows = {r.idempotency_key: r for r in _rows(engine)}
    assert rows["q:urgent:"].status == "sent"
    assert rows["q:own:"].status == "sent"  # the assistant's own quiet hours start later
    calm = rows["q:calm:"]
    assert calm.status == "pending" and calm.attempts == 0
    assert calm.next_attempt_at == datetime(2025, 3, 4, 8, 0, tzinfo=ALMATY)
    assert calm.next_attempt_at is not None and calm.next_attempt_at.astimezone(UTC).hour == 3
    with time_machine.travel(datetime(2025, 3, 4, 8, 0, 1, tzinfo=ALMATY), tick=True):
        await Dispatcher(engine, out, _fast(settings)).run_until_idle()
    assert {r.status for r in _rows(engine)} == {"sent"}


async def test_consent_withdrawn_before_sending_withdraws_the_message(
    engine: Engine, settings: Settings
) -> None:
    from models import Consent

    with session_scope(engine) as session:
        s = school(session)
        enqueue(session, person_id=s.pupils[0], kind="x", text=TEXT, idempotency_key="cw:")
    with session_scope(engine) as session:
        for row in session.exec(select(Consent).where(Consent.pupil_id == s.pupils[0])).all():
            row.withdrawn_at = utcnow()
    out = senders()
    await Dispatcher(engine, out, _fast(settings)).run_until_idle()
    assert out["telegram"].sent == []
    assert _rows(engine)[0].status == "cancelled"


async def test_rows_left_sending_by_a_crash_are_reconciled_and_delivered(
    engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        s = school(session)
        for who in s.pupils:
            enqueue(session, person_id=who, kind="x", text=TEXT, idempotency_key=f"crash:{who}:")
    # a dispatcher took the rows, began one attempt, and died
    taken = claim(engine, "dead-worker", 10)
    assert len(taken) == 3
    with session_scope(engine) as session:
        session.add(DeliveryAttempt(notification_id=taken[0], channel="telegram"))
    out = senders()
    fresh = Dispatcher(engine, out, _fast(settings))
    assert await fresh.run_until_idle() == 0  # nothing is due while they look taken
    stop = asyncio.Event()
    runner = asyncio.create_task(fresh.run(stop))  # start-up reconciles, then delivers
    for _ in range(400):
        if {r.status for r in _rows(engine)} == {"sent"}:
            break
        await asyncio.sleep(0.025)
    stop.set()
    await asyncio.wait_for(runner, 10)
    assert {r.status for r in _rows(engine)} == {"sent"}
    assert len(out["telegram"].sent) == 3
    assert [a.outcome for a in _attempts(engine, taken[0])] == ["interrupted", "delivered"]


async def test_reconcile_with_a_lease_leaves_live_claims_alone(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
        enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key="lease:")
    now = utcnow()
    claim(engine, "peer", 5, now)
    assert reconcile(engine, lease=timedelta(minutes=5), now=now + timedelta(minutes=1)) == 0
    assert reconcile(engine, lease=timedelta(minutes=5), now=now + timedelta(minutes=6)) == 1
    assert _rows(engine)[0].status == "pending"


async def test_notify_wakes_the_running_dispatcher(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        s = school(session)
    out = senders()
    dispatcher = Dispatcher(engine, out, _fast(settings), poll_interval=60)
    stop = asyncio.Event()
    runner = asyncio.create_task(dispatcher.run(stop))
    await asyncio.sleep(0.2)
    with session_scope(engine) as session:
        enqueue(session, person_id=s.tutor_id, kind="x", text=TEXT, idempotency_key="wake:")
    dispatcher.notify()
    for _ in range(200):
        if out["telegram"].sent:
            break
        await asyncio.sleep(0.025)
    stop.set()
    await asyncio.wait_for(runner, 10)
    assert len(out["telegram"].sent) == 1


def test_recording_sender_is_a_sender() -> None:
    from outbox.sender import Sender

    sender: Sender = RecordingSender("telegram")
    assert sender.channel == "telegram"


class UnsettledCounter(RecordingSender):
    """Counts, at every send, the attempts the store holds as begun and not settled."""

    def __init__(self, engine: Engine, every: int) -> None:
        super().__init__("telegram", delay=0.002)
        self.engine = engine
        self.every = every
        self.most = 0

    async def send(self, message: Outgoing) -> SendResult:
        if len(self.sent) % self.every == 0:
            with Session(self.engine) as session:
                unsettled = session.exec(
                    select(func.count())
                    .select_from(DeliveryAttempt)
                    .where(col(DeliveryAttempt.outcome).is_(None))
                ).one()
            self.most = max(self.most, int(unsettled))
        return await super().send(message)


async def test_the_store_never_holds_more_sends_begun_and_unsettled_than_the_in_flight_limit(
    engine: Engine, settings: Settings
) -> None:
    """A delivered send gives its place to the next before its outcome is stored; the next one is
    begun in the same transaction, so what a crash could repeat stays within the limit."""
    seed_broadcast(engine, 300, first_chat=800_000)
    sender = UnsettledCounter(engine, every=3)
    dispatcher = Dispatcher(engine, {"telegram": sender}, _fast(settings), in_flight=4)
    assert await dispatcher.run_until_idle(timeout=60) == 300
    assert 1 <= sender.most <= 4, f"{sender.most} attempts begun and unsettled with 4 in flight"
    assert {row.status for row in _rows(engine)} == {"sent"}
    assert len(sender.sent) == 300
