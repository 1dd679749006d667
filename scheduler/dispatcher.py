"""The outbox dispatcher: delivers due notifications through the channel senders.

Each round it claims due rows (`scheduler.claiming`: marked "sending" before any send), routes each
one (`scheduler.routing`), checks quiet hours and pacing (`scheduler.pacing`), and starts a task per
row up to the in-flight limit. A task records a `DeliveryAttempt` before calling the sender and its
outcome after:

* delivered → the row is "sent" (its attempt "cut" when the channel had to shorten it);
* retry → back to pending with exponential backoff (2 s, 4 s, … capped at 10 min), or exactly the
  provider's `retry_after` (HTTP 429); after `max_attempts` retries on one channel, that channel
  counts as failed;
* blocked → the identity is marked blocked and the next channel is tried at once;
* failed → the next channel is tried at once;
* no channel left (or the next one is `post`) → "no_channel": the class teacher's list of people to
  reach by phone or on paper, with an audit row.

Quiet hours (the person's own, else the settings', in local time): a non-urgent row due then is
deferred to their end; an urgent one goes and is logged. A chat not yet allowed to send is put back
until it is, so a slow chat never holds up the queue.

Crash safety: `reconcile` returns rows left "sending" to pending at start-up (all of them when this is
the only dispatcher, else those past the lease); such a message may be sent once more.

Database work runs in worker threads so sends continue while the store waits: on SQLite one thread
(SQLite takes one writer at a time, and writers racing for its lock sleep in its busy handler),
on PostgreSQL a few.
Logs carry ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import string
import time as _time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, func, insert, union, update
from sqlmodel import Session, col, select

from locales import Text, language_of, render_value, template_of
from models.clock import utcnow
from models.consent_rules import reachable
from models.enums import AttemptOutcome, NotificationStatus, Role
from models.notify import audit, stored_text
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Guardianship, Membership
from models.school import GroupMember
from models.settings import Settings
from models.store import is_postgres
from scheduler.claiming import claim, reconcile
from scheduler.pacing import Pacer
from scheduler.routing import Plan, Target, in_quiet_hours, plan_many, quiet_ends
from scheduler.sender import Outcome, Outgoing, Sender, SendResult

log = logging.getLogger("ustaz.outbox")

MAX_ATTEMPTS = 8
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
LEASE = timedelta(minutes=5)
STORE_THREADS = 4
T_ = TypeVar("T_")
_OUTBOX = Notification.__table__  # type: ignore[attr-defined]
BEGIN_ATTEMPT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("nid"))
    .values(attempts=_OUTBOX.c.attempts + 1, channel=bindparam("channel"), identity_id=bindparam("identity"))
)


def backoff(retries: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds before retry number `retries` (1-based): base, 2·base, 4·base, … at most `cap`."""
    return min(cap, base * 2 ** max(retries - 1, 0))


@dataclass(frozen=True)
class Prepared:
    notification_id: int
    person_id: int | None
    kind: str
    message: Text
    media_path: str | None
    plan: Plan


def render(locale: str, message: Text, channel: str = "") -> tuple[str, tuple[str, ...]]:
    """The message in `locale` for `channel`, and its parameters in the order the text uses them
    (a WhatsApp template's variables)."""
    language = language_of(locale)
    number = message.params.get(message.count) if message.count else None
    template = template_of(language, message.key, channel, number, plural=bool(message.count))
    ordered: list[str] = []
    for _literal, name, _spec, _conv in string.Formatter().parse(template):
        if name and name in message.params and name not in ordered:
            ordered.append(name)
    values = tuple(str(render_value(message.params[name], language, channel)) for name in ordered)
    return message.render(language, channel), values


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        worker_id: str | None = None,
        in_flight: int = 16,
        poll_interval: float = 1.0,
        lease: timedelta = LEASE,
        single_process: bool = True,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:60]
        self.in_flight = max(1, in_flight)
        self.poll_interval = poll_interval
        self.lease = lease
        self.single_process = single_process
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.pacer = Pacer(settings, monotonic)
        self._tasks: set[asyncio.Task[None]] = set()
        self._paced: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._outcomes: list[tuple[Prepared, Target, int, SendResult, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._store = ThreadPoolExecutor(
            max_workers=STORE_THREADS if is_postgres(engine) else 1, thread_name_prefix="outbox-store"
        )

    async def _db(self, work: Callable[..., T_], *args: Any, **kwargs: Any) -> T_:
        """Run store work on the dispatcher's store threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._store, partial(work, *args, **kwargs))

    # -- public ---------------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake the running loop: something was just enqueued."""
        if self._wake is not None:
            self._wake.set()

    async def run_until_idle(self, timeout: float = 120.0) -> int:
        """Deliver everything due now (waiting out pacing, not retries or quiet hours); returns the
        number of rows taken."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        taken = 0
        while True:
            if loop.time() > deadline:
                raise TimeoutError("outbox not idle in time")
            if len(self._tasks) >= self.in_flight:
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
                continue
            claimed = await self._round()
            taken += claimed
            if claimed:
                continue
            if self._tasks:
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
                continue
            wait = await self._db(self._paced_wait)
            if wait is None:
                return taken
            await asyncio.sleep(min(max(wait, 0.005), max(deadline - loop.time(), 0.0)))

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver forever: poll every `poll_interval`, or sooner when `notify()` is called."""
        self._wake = asyncio.Event()
        returned = await self._db(
            reconcile, self.engine, lease=None if self.single_process else self.lease, now=self.clock()
        )
        if returned:
            log.warning("outbox: %d rows left sending were returned to pending", returned)
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time() + self.lease.total_seconds() / 2
        while not stop.is_set():
            claimed = 0
            if len(self._tasks) < self.in_flight:
                try:
                    claimed = await self._round()
                except Exception:
                    log.exception("outbox: claim round failed")
            if not self.single_process and loop.time() >= next_reconcile:
                next_reconcile = loop.time() + self.lease.total_seconds() / 2
                await self._db(reconcile, self.engine, lease=self.lease, now=self.clock())
            if claimed and len(self._tasks) < self.in_flight:
                continue
            await self._idle_wait(stop)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)

    # -- rounds ---------------------------------------------------------------------------------

    async def _idle_wait(self, stop: asyncio.Event) -> None:
        assert self._wake is not None
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                [*waiters, *self._tasks], timeout=self.poll_interval, return_when="FIRST_COMPLETED"
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._wake.clear()

    async def _round(self) -> int:
        capacity = self.in_flight - len(self._tasks)
        ids = await self._db(claim, self.engine, self.worker_id, capacity, self.clock())
        if not ids:
            return 0
        ready: list[tuple[Prepared, list[Target]]] = []
        for prepared in await self._db(self._prepare_many, ids):
            if prepared is None:
                continue
            targets = [t for t in prepared.plan.targets if t.channel in self.senders]
            if not targets:
                await self._db(self._finish_unreached, prepared, "no_channel")
                continue
            if await self._reserve_or_defer(prepared, targets[0]):
                ready.append((prepared, targets))
        if ready:
            attempts = await self._db(self._begin_many, [(p.notification_id, t[0]) for p, t in ready])
            for (prepared, targets), attempt_id in zip(ready, attempts, strict=True):
                task = asyncio.create_task(self._deliver(prepared, targets, attempt_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return len(ids)

    async def _reserve_or_defer(self, prepared: Prepared, target: Target) -> bool:
        wait = self.pacer.next_allowed(target.chat, target.is_group)
        if wait <= 0:
            self.pacer.take(target.chat)
            self._paced.discard(prepared.notification_id)
            return True
        self._paced.add(prepared.notification_id)
        await self._db(self._defer, prepared.notification_id, timedelta(seconds=wait), None)
        return False

    async def _deliver(self, prepared: Prepared, targets: list[Target], first_attempt: int) -> None:
        try:
            for position, target in enumerate(targets):
                if position > 0 and not await self._reserve_or_defer(prepared, target):
                    return
                result = await self._send_once(prepared, target, first_attempt if position == 0 else None)
                if result is None:
                    return  # delivered, or scheduled for a retry
            reason = "post" if prepared.plan.ends_in_post else "channels_exhausted"
            await self._db(self._finish_unreached, prepared, reason)
        except Exception:
            log.exception("outbox: notification %s failed in the dispatcher", prepared.notification_id)
            with contextlib.suppress(Exception):
                await self._db(
                    self._defer, prepared.notification_id, timedelta(seconds=self.backoff_base), "internal"
                )

    async def _send_once(
        self, prepared: Prepared, target: Target, attempt_id: int | None
    ) -> SendResult | None:
        """One attempt on one channel (already recorded as begun, or recorded now). None when the row
        is settled (sent or retry scheduled); the result when the dispatcher should move on to the
        next channel."""
        if attempt_id is None:
            attempt_id = (await self._db(self._begin_many, [(prepared.notification_id, target)]))[0]
        text, template_params = render(prepared.plan.locale, prepared.message, target.channel)
        message = Outgoing(
            address=target.address,
            text=text,
            media_path=prepared.media_path,
            template_key=prepared.kind,
            template_params=template_params,
            within_session=target.within_session,
            locale=prepared.plan.locale,
        )
        try:
            await self.pacer.start_send(target.channel, target.chat)
            try:
                result = await self.senders[target.channel].send(message)
            except Exception as exc:
                result = SendResult(Outcome.RETRY, error=f"sender raised {type(exc).__name__}")
        finally:
            self.pacer.release(target.chat)
        settled = await self._recorded(prepared, target, attempt_id, result)
        return None if settled else result

    async def _recorded(
        self, prepared: Prepared, target: Target, attempt_id: int, result: SendResult
    ) -> bool:
        """Queue the outcome for the next batch write and wait for it (the send stays in flight until
        its outcome is stored, which bounds what a crash can repeat)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append((prepared, target, attempt_id, result, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outcomes())
        return await done

    async def _write_outcomes(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                settled = await self._db(self._record_many, [item[:4] for item in batch])
            except Exception as exc:
                for *_, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (*_, done), value in zip(batch, settled, strict=True):
                if not done.done():
                    done.set_result(value)

    # -- store work (in threads) ----------------------------------------------------------------

    def _prepare_many(self, notification_ids: list[int]) -> list[Prepared | None]:
        """Route and render the claimed rows, in one transaction; None for a row not to send now."""
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            rows = {
                row.id: row
                for row in session.exec(
                    select(Notification).where(col(Notification.id).in_(notification_ids))
                ).all()
            }
            routes = plan_many(session, list(rows.values()), self.settings, now)
            pupils = _pupils_among(session, {r.person_id for r in rows.values() if r.person_id is not None})
            return [self._prepare_row(session, rows.get(i), routes, pupils, now) for i in notification_ids]

    def _prepare_row(
        self,
        session: Session,
        row: Notification | None,
        routes: Mapping[int, Plan],
        pupils: set[int],
        now: datetime,
    ) -> Prepared | None:
        if row is None or row.status != NotificationStatus.SENDING or row.claimed_by != self.worker_id:
            return None
        if row.person_id in pupils and not reachable(session, row.person_id, kind=row.kind):
            row.status = NotificationStatus.CANCELLED.value
            row.last_error = "no consent"
            row.claimed_by = None
            log.info("outbox: notification %s withdrawn, no consent", row.id)
            return None
        assert row.id is not None
        route = routes[row.id]
        local = now.astimezone(self.settings.zone)
        if in_quiet_hours(local.time(), route.quiet):
            if not row.urgent:
                row.status = NotificationStatus.PENDING.value
                row.next_attempt_at = quiet_ends(local, route.quiet)
                row.claimed_by = None
                row.claimed_at = None
                return None
            log.info("outbox: urgent notification %s sent in quiet hours", row.id)
            audit(
                session,
                "notification.urgent_in_quiet_hours",
                row.id,
                person_id=row.person_id,
                kind=row.kind,
            )
        if route.ends_in_post and not [t for t in route.targets if t.channel in self.senders]:
            self._unreached(session, row, "post")
            return None
        assert row.id is not None
        return Prepared(row.id, row.person_id, row.kind, stored_text(row), row.media_path, route)

    def _begin_many(self, starts: list[tuple[int, Target]]) -> list[int]:
        """Record the attempts as begun (before any send), in one transaction; their ids in order."""
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            # A bulk INSERT … RETURNING, not ORM objects: building those was most of the batch's time.
            attempt_ids = session.execute(
                insert(DeliveryAttempt).returning(col(DeliveryAttempt.id), sort_by_parameter_order=True),
                [
                    {
                        "notification_id": notification_id,
                        "channel": target.channel,
                        "identity_id": target.identity_id,
                        "started_at": now,
                    }
                    for notification_id, target in starts
                ],
            ).scalars()
            ids = [int(attempt_id) for attempt_id in attempt_ids]
            session.execute(
                BEGIN_ATTEMPT,
                [
                    {"nid": notification_id, "channel": target.channel, "identity": target.identity_id}
                    for notification_id, target in starts
                ],
            )
            return ids

    def _record_many(self, outcomes: list[tuple[Prepared, Target, int, SendResult]]) -> list[bool]:
        """Write the attempts' outcomes in one transaction: deliveries in bulk, the rest one by one.
        True for a row that is settled (sent, or a retry scheduled)."""
        now = self.clock()
        delivered = [o for o in outcomes if o[3].outcome == Outcome.DELIVERED]
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            if delivered:
                session.execute(
                    update(DeliveryAttempt),
                    [
                        {
                            "id": attempt_id,
                            "finished_at": now,
                            "outcome": (AttemptOutcome.CUT if result.cut else AttemptOutcome.DELIVERED).value,
                            "error": result.error[:300] or None,
                            "provider_id": result.provider_id[:64] or None,
                        }
                        for _, _, attempt_id, result in delivered
                    ],
                )
                session.execute(
                    update(Notification),
                    [
                        {
                            "id": prepared.notification_id,
                            "status": NotificationStatus.SENT.value,
                            "sent_at": now,
                            "last_error": None,
                            "next_attempt_at": None,
                        }
                        for prepared, _, _, _ in delivered
                    ],
                )
                for prepared, target, _, _ in delivered:
                    log.info("outbox: notification %s sent on %s", prepared.notification_id, target.channel)
            return [
                True if result.outcome == Outcome.DELIVERED else self._record(session, p, t, a, result, now)
                for p, t, a, result in outcomes
            ]

    def _record(
        self,
        session: Session,
        prepared: Prepared,
        target: Target,
        attempt_id: int,
        result: SendResult,
        now: datetime,
    ) -> bool:
        """Write a failed attempt's outcome. True when a retry is scheduled (the row is settled)."""
        nid = prepared.notification_id
        attempt = session.get(DeliveryAttempt, attempt_id)
        row = session.get(Notification, nid)
        assert attempt is not None and row is not None
        attempt.finished_at = now
        attempt.error = result.error[:300] or None
        attempt.provider_id = result.provider_id[:64] or None
        row.last_error = (result.error or result.outcome.value)[:300]
        if result.outcome == Outcome.RETRY:
            retries = self._retries_on(session, nid, target) + 1
            if retries < self.max_attempts:
                attempt.outcome = AttemptOutcome.RETRY.value
                delay = result.retry_after if result.retry_after > 0 else self._backoff(retries)
                row.status = NotificationStatus.PENDING.value
                row.next_attempt_at = now + timedelta(seconds=delay)
                row.claimed_by = None
                row.claimed_at = None
                log.info("outbox: notification %s retry %d in %.1fs", nid, retries, delay)
                return True
            attempt.outcome = AttemptOutcome.FAILED.value
            attempt.error = f"retries exhausted: {result.error}"[:300]
            log.warning("outbox: notification %s gave up on %s after %d tries", nid, target.channel, retries)
            return False
        if result.outcome == Outcome.BLOCKED:
            attempt.outcome = AttemptOutcome.BLOCKED.value
            if target.identity_id is not None:
                identity = session.get(ChannelIdentity, target.identity_id)
                if identity is not None and identity.blocked_at is None:
                    identity.blocked_at = now
            log.info("outbox: identity %s blocked, notification %s falls back", target.identity_id, nid)
            return False
        attempt.outcome = AttemptOutcome.FAILED.value
        log.info("outbox: notification %s failed on %s, falls back", nid, target.channel)
        return False

    def _backoff(self, retries: int) -> float:
        return backoff(retries, self.backoff_base, self.backoff_cap)

    @staticmethod
    def _retries_on(session: Session, notification_id: int, target: Target) -> int:
        statement = select(func.count()).where(
            DeliveryAttempt.notification_id == notification_id,
            DeliveryAttempt.channel == target.channel,
            DeliveryAttempt.outcome == AttemptOutcome.RETRY.value,
        )
        if target.identity_id is not None:
            statement = statement.where(DeliveryAttempt.identity_id == target.identity_id)
        return int(session.exec(statement).one())

    def _defer(self, notification_id: int, wait: timedelta, error: str | None) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(Notification, notification_id)
            if row is None or row.status != NotificationStatus.SENDING:
                return
            row.status = NotificationStatus.PENDING.value
            row.next_attempt_at = self.clock() + wait
            row.claimed_by = None
            row.claimed_at = None
            if error:
                row.last_error = error

    def _finish_unreached(self, prepared: Prepared, reason: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(Notification, prepared.notification_id)
            if row is not None:
                self._unreached(session, row, reason)

    def _unreached(self, session: Session, row: Notification, reason: str) -> None:
        """No channel can carry it: a person goes on the class teacher's list; a group chat failed."""
        to_group = row.group_chat_id is not None
        row.status = (NotificationStatus.FAILED if to_group else NotificationStatus.NO_CHANNEL).value
        row.claimed_by = None
        row.last_error = reason
        audit(
            session,
            "notification.failed" if to_group else "notification.no_channel",
            row.id,
            person_id=row.person_id,
            kind=row.kind,
            reason=reason,
        )
        log.info("outbox: notification %s unreached (%s)", row.id, reason)

    def _paced_wait(self) -> float | None:
        """Seconds until the earliest row put back for pacing is due; None when there is none."""
        if not self._paced:
            return None
        with Session(self.engine) as session:
            rows = session.exec(
                select(Notification.id, Notification.next_attempt_at).where(
                    col(Notification.id).in_(list(self._paced)),
                    Notification.status == NotificationStatus.PENDING.value,
                )
            ).all()
        self._paced = {int(row_id) for row_id, _ in rows if row_id is not None}
        moments = [moment for _, moment in rows if moment is not None]
        if not moments:
            return None if not self._paced else 0.0
        return (min(moments) - self.clock()).total_seconds()


def _pupils_among(session: Session, person_ids: set[int]) -> set[int]:
    """Which of these people may be pupils (a pupil membership, a guardian, a tutoring group: as
    `models.consent_rules.is_pupil`): only they need the consent check before a send."""
    if not person_ids:
        return set()
    ids = list(person_ids)
    found = session.execute(
        union(
            select(Membership.person_id).where(
                col(Membership.person_id).in_(ids), Membership.role == Role.PUPIL.value
            ),
            select(Guardianship.pupil_id).where(col(Guardianship.pupil_id).in_(ids)),
            select(GroupMember.pupil_id).where(col(GroupMember.pupil_id).in_(ids)),
        )
    ).scalars()
    return {int(person_id) for person_id in found}
