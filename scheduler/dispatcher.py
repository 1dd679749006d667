"""The outbox dispatcher: the async loop that delivers due notifications through the channel senders.

Each round it claims due rows (`outbox.claim`: marked "sending" before any send), prepares them
(`outbox.prepare`: consent, quiet hours, route, text), takes their send slots from the budget
(`outbox.budget`: per bot or sender number and per chat, shared by every dispatcher process on
PostgreSQL) and starts a task per row up to the in-flight limit. Every attempt is recorded as begun
before its send and its outcome after (`outbox.settle` says what each outcome does to the row); one
writer stores both a round at a time, in one transaction (`outbox.attempts.write_round`): the
outcomes of the sends that finished and the start of the sends that take their places. A delivered
send gives its place in flight to the next as soon as its outcome is queued, since the next one
begins in the same transaction that stores it (or a later one). A chat not yet allowed to send is
put back until it is, so a slow chat never holds up the queue; a 429 holds the chat (or the sender)
for its `retry_after` in the budget.

Crash safety: `reconcile` returns rows left "sending" to pending at start-up (all of them when this is
the only dispatcher, else those past the lease); such a message may be sent once more, unless its
provider can say that it went (`outbox.sender.Lookup`, asked first). While the store is unreachable,
outcomes of finished sends are kept and written once it is back, so an outage repeats nothing.
Stopping (SIGTERM) takes no new rows, cancels the sends still waiting for their slot, lets the
sends under way finish within `drain` seconds, and gives back at once what did not finish.

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
import time as _time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

import metrics
from models.clock import utcnow
from models.store import is_postgres
from outbox.attempts import write_round
from outbox.budget import Budget, LocalBudget, Reservation, SharedBudget
from outbox.claim import reconcile, release, still_waiting
from outbox.pacing import Pacer
from outbox.prepare import Prepared, claim_and_prepare
from outbox.route import Target
from outbox.sender import Lookup, Outcome, Outgoing, Sender, SendResult
from outbox.settle import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    Finished,
    RetryPolicy,
    defer,
    finish_unreached,
)
from settings import Settings

log = logging.getLogger("ustaz.outbox")

LEASE = timedelta(minutes=5)
DRAIN = 10.0
STORE_THREADS = 4
STORE_DOWN = (OperationalError, InterfaceError)  # the store is unreachable: keep what we know, retry
T_ = TypeVar("T_")


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
        drain: float = DRAIN,
        budget: Budget | None = None,
    ) -> None:
        self.engine = engine
        self.senders = dict(senders)
        self.settings = settings
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:60]
        self.in_flight = max(1, in_flight)
        # Rows claimed ahead of the sends, at most: four times the limit for the only dispatcher (a
        # claim's statements and commit spread over more rows); twice with peers, which take back a
        # row not settled within the lease: a row claimed ahead must be sent well within it.
        self.ahead = (4 if single_process else 2) * self.in_flight
        self.poll_interval = poll_interval
        self.lease = lease
        self.single_process = single_process
        self.drain = drain
        self.policy = RetryPolicy(max_attempts, backoff_base, backoff_cap)
        if budget is None:
            shared = is_postgres(engine) and not single_process
            budget = SharedBudget(engine, settings) if shared else LocalBudget(Pacer(settings, monotonic))
        self.budget = budget
        self._tasks: dict[asyncio.Task[None], int] = {}  # each send's task and its row
        # Rows claimed and prepared ahead, waiting for room in flight (no attempt begun yet).
        self._ready: deque[tuple[Prepared, list[Target]]] = deque()
        self._claiming: asyncio.Task[int] | None = None  # a claim running beside the sends
        self._found_nothing = False  # the last claim beside the sends found no due row
        self._on_air: set[int] = set()  # rows whose send has started and whose outcome is not stored
        self._paced: set[int] = set()
        self._wake: asyncio.Event | None = None
        # The sends whose place in flight went to another send while their outcome waits for the writer.
        self._freed: set[asyncio.Task[None]] = set()
        # What the writer stores at its next round: outcomes, and attempts to record as begun.
        self._outcomes: list[tuple[Finished, asyncio.Future[bool]]] = []
        self._starts: list[tuple[list[tuple[int, Target]], asyncio.Future[list[int]]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._store_down_logged = False
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
        if self._wake is None:
            self._wake = asyncio.Event()
        while True:
            if loop.time() > deadline:
                raise TimeoutError("outbox not idle in time")
            claimed, started = await self._step()
            taken += claimed
            if claimed or started:
                continue
            if self._tasks or self._claiming is not None:
                await self._woken(max(deadline - loop.time(), 0.0))
                continue
            wait = await self._paced_wait()
            if wait is None:
                return taken
            await asyncio.sleep(min(max(wait, 0.005), max(deadline - loop.time(), 0.0)))

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set: poll every `poll_interval`, or sooner when `notify()` is called;
        then drain (see the module's docstring)."""
        self._wake = asyncio.Event()
        returned = await self._db(
            reconcile, self.engine, lease=None if self.single_process else self.lease, now=self.clock()
        )
        if returned:
            log.warning("outbox: %d rows left sending were returned to pending", returned)
        stopping = asyncio.create_task(self._wake_when(stop))
        try:
            await self._deliver_until(stop)
        finally:
            stopping.cancel()
        await self._drain()

    async def _deliver_until(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time() + self.lease.total_seconds() / 2
        while not stop.is_set():
            claimed = started = 0
            try:
                claimed, started = await self._step()
                self._store_down_logged = False
            except STORE_DOWN:
                self._store_down(None)
            except Exception:
                log.exception("outbox: claim round failed")
            if not self.single_process and loop.time() >= next_reconcile:
                next_reconcile = loop.time() + self.lease.total_seconds() / 2
                with contextlib.suppress(*STORE_DOWN):
                    await self._db(reconcile, self.engine, lease=self.lease, now=self.clock())
                    await self.budget.tidy()
            if started or (claimed and len(self._ready) < self.in_flight):
                continue
            await self._woken(self.poll_interval)

    # -- rounds ---------------------------------------------------------------------------------

    async def _woken(self, timeout: float) -> None:
        """Until a send finishes, `notify()` is called, the dispatcher is stopped, or `timeout`
        seconds pass. One event for all of them: waiting on every send's task at once cost a
        callback per task, per wait."""
        if self._wake is None:
            raise RuntimeError("the dispatcher is not running")
        wake = self._wake
        timer = asyncio.get_running_loop().call_later(timeout, wake.set)
        try:
            await wake.wait()
        finally:
            timer.cancel()
            wake.clear()

    async def _wake_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.notify()

    async def _step(self) -> tuple[int, int]:
        """One turn of the loop: claim and prepare more rows when few are ready, then start as many
        ready rows as there is room in flight. Returns how many rows were claimed and how many were
        taken off the ready queue.

        While sends are under way the claim runs beside them (its outcome is taken up at a later
        turn), so the loop keeps starting sends while the store answers; with nothing under way the
        turn waits for it. A claim beside the sends that finds nothing due is not repeated until
        they are done."""
        claimed = 0
        if self._claiming is not None and self._claiming.done():
            claiming, self._claiming = self._claiming, None
            claimed = claiming.result()
            self._found_nothing = claimed == 0
        if self._claiming is None and len(self._ready) < self.in_flight:
            limit = self.ahead - len(self._ready)
            if not self._tasks and not self._ready:
                claimed += await self._claim(limit)
                self._found_nothing = False
            elif not self._found_nothing:
                self._claiming = asyncio.create_task(self._claim(limit))
                self._claiming.add_done_callback(self._wake_on_done)
        room = min(self.in_flight - (len(self._tasks) - len(self._freed)), len(self._ready))
        if room > 0:
            await self._start([self._ready.popleft() for _ in range(room)])
        return claimed, max(room, 0)

    async def _claim(self, limit: int) -> int:
        """Claim up to `limit` due rows and queue the ones to send as ready; returns how many were
        claimed."""
        claimed, prepared_rows = await self._db(
            claim_and_prepare,
            self.engine,
            self.worker_id,
            limit,
            settings=self.settings,
            channels=self.senders.keys(),
            clock=self.clock,
        )
        for prepared in prepared_rows:
            targets = [t for t in prepared.plan.targets if t.channel in self.senders]
            if not targets:
                await self._db(finish_unreached, self.engine, prepared.notification_id, "no_channel")
                continue
            self._ready.append((prepared, targets))
        return claimed

    async def _start(self, candidates: list[tuple[Prepared, list[Target]]]) -> None:
        """Take the sends' slots from the budget, record their attempts as begun (one transaction)
        and start a task for each; a send whose chat may not go yet is put back."""
        reservations = await self._reserve_or_defer([(p, t[0]) for p, t in candidates])
        ready = [
            (prepared, targets, reservation)
            for (prepared, targets), reservation in zip(candidates, reservations, strict=True)
            if reservation is not None
        ]
        if not ready:
            return
        attempts = await self._begin([(p.notification_id, t[0]) for p, t, _ in ready])
        for (prepared, targets, reservation), attempt_id in zip(ready, attempts, strict=True):
            task = asyncio.create_task(self._deliver(prepared, targets, attempt_id, reservation))
            self._tasks[task] = prepared.notification_id
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._freed.discard(task)
        self.notify()

    def _wake_on_done(self, _: asyncio.Task[int]) -> None:
        self.notify()

    async def _reserve_or_defer(self, sends: list[tuple[Prepared, Target]]) -> list[Reservation | None]:
        """The sends' slots from the budget; a send whose chat may not go yet is put back until it may
        (None)."""
        reservations = await self.budget.reserve([target for _, target in sends])
        taken: list[Reservation | None] = []
        for (prepared, _), reservation in zip(sends, reservations, strict=True):
            if reservation.ok:
                self._paced.discard(prepared.notification_id)
                taken.append(reservation)
                continue
            self._paced.add(prepared.notification_id)
            await self._defer(prepared.notification_id, timedelta(seconds=reservation.wait))
            taken.append(None)
        return taken

    async def _deliver(
        self, prepared: Prepared, targets: list[Target], first_attempt: int, first_slot: Reservation
    ) -> None:
        try:
            for position, target in enumerate(targets):
                attempt_id: int | None = first_attempt
                reservation: Reservation | None = first_slot
                if position > 0:
                    attempt_id = None
                    reservation = (await self._reserve_or_defer([(prepared, target)]))[0]
                if reservation is None:
                    return
                result = await self._send_once(prepared, target, attempt_id, reservation)
                if result is None:
                    return  # delivered, or scheduled for a retry
            reason = "post" if prepared.plan.ends_in_post else "channels_exhausted"
            await self._db(finish_unreached, self.engine, prepared.notification_id, reason)
        except Exception:
            log.exception("outbox: notification %s failed in the dispatcher", prepared.notification_id)
            with contextlib.suppress(Exception):
                await self._defer(
                    prepared.notification_id, timedelta(seconds=self.policy.backoff_base), "internal"
                )

    async def _send_once(
        self, prepared: Prepared, target: Target, attempt_id: int | None, reservation: Reservation
    ) -> SendResult | None:
        """One attempt on one channel (already recorded as begun, or recorded now). None when the row
        is settled (sent, retry scheduled, throttled); the result when the dispatcher should move on
        to the next channel."""
        if attempt_id is None:
            attempt_id = (await self._begin([(prepared.notification_id, target)]))[0]
        text, template_params = prepared.rendered(target.channel)
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
            await self.budget.start_send(target, reservation)
            self._on_air.add(prepared.notification_id)
            result = await self._reconciled(prepared, target, message)
            if result is None:
                try:
                    result = await self.senders[target.channel].send(message)
                except Exception as exc:
                    result = SendResult(Outcome.RETRY, error=f"sender raised {type(exc).__name__}")
        finally:
            self.budget.release(target)
        metrics.sent(target.channel, result.outcome, result.retry_after)
        if result.outcome == Outcome.THROTTLED:
            with contextlib.suppress(*STORE_DOWN):
                await self.budget.hold(target, result.retry_after, whole_sender=result.whole_sender)
        if result.outcome == Outcome.DELIVERED:  # settled whatever else: its place goes to the next send
            self._free_place()
        try:
            settled = await self._recorded(Finished(prepared.notification_id, target, attempt_id, result))
        finally:
            self._on_air.discard(prepared.notification_id)
        return None if settled else result

    async def _reconciled(self, prepared: Prepared, target: Target, message: Outgoing) -> SendResult | None:
        """The outcome of an interrupted earlier attempt, when the provider can tell that it went;
        None to send (again). Telegram's Bot API cannot tell: such a message may go twice."""
        since = prepared.unsettled_on(target)
        sender = self.senders[target.channel]
        if since is None or not isinstance(sender, Lookup):
            return None
        try:
            found = await sender.find(message, since)
        except Exception:
            log.warning("outbox: notification %s could not be looked up; sending", prepared.notification_id)
            return None
        if found is not None:
            log.info("outbox: notification %s had gone out before the interruption", prepared.notification_id)
        return found

    def _free_place(self) -> None:
        task = asyncio.current_task()
        if task in self._tasks:
            self._freed.add(task)  # type: ignore[arg-type]
            self.notify()

    async def _recorded(self, finished: Finished) -> bool:
        """Queue the outcome for the writer's next round and wait for it (the send stays in flight
        until its outcome is stored, or its place goes to a send begun in the same round)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append((finished, done))
        self._write_soon()
        return await done

    async def _begin(self, starts: list[tuple[int, Target]]) -> list[int]:
        """Record the attempts as begun at the writer's next round; their ids."""
        done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._starts.append((starts, done))
        self._write_soon()
        return await done

    def _write_soon(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_rounds())

    async def _write_rounds(self) -> None:
        """Store the queued outcomes and starts, a round (one transaction) at a time. While the store
        is unreachable the outcomes are kept and written when it is back (the sends happened:
        forgetting them would repeat them); the starts fail, and their rows are not sent. A round
        that fails otherwise is written again apart, outcomes first, so a bad start does not take
        other rows' outcomes with it."""
        pause = 0.1
        apart = False
        while self._outcomes or self._starts:
            outcomes = list(self._outcomes)
            starts = list(self._starts) if not (apart and outcomes) else []
            del self._outcomes[: len(outcomes)]
            del self._starts[: len(starts)]
            try:
                settled, begun = await self._db(
                    write_round,
                    self.engine,
                    [finished for finished, _ in outcomes],
                    [start for group, _ in starts for start in group],
                    self.policy,
                    self.clock,
                )
            except STORE_DOWN as exc:
                _fail(starts, exc)
                if outcomes:
                    self._outcomes[:0] = outcomes
                    self._store_down(len(outcomes))
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 2.0)
                continue
            except Exception as exc:
                if outcomes and starts:
                    self._outcomes[:0] = outcomes
                    self._starts[:0] = starts
                    apart = True
                    continue
                _fail(outcomes, exc)
                _fail(starts, exc)
                continue
            pause = 0.1
            if self._store_down_logged and outcomes:
                log.warning("outbox: store back; %d kept outcomes written", len(outcomes))
                self._store_down_logged = False
            for (_, done), value in zip(outcomes, settled, strict=True):
                if not done.done():
                    done.set_result(value)
            for group, begun_done in starts:
                ids, begun = begun[: len(group)], begun[len(group) :]
                if not begun_done.done():
                    begun_done.set_result(ids)

    def _store_down(self, kept: int | None) -> None:
        if self._store_down_logged:
            return
        self._store_down_logged = True
        if kept is None:
            log.warning("outbox: store unreachable; taking no rows until it is back")
        else:
            log.warning("outbox: store unreachable; %d outcomes kept until it is back", kept)

    async def _drain(self) -> None:
        """Stop: cancel the sends still waiting for their slot, give the sends under way `drain`
        seconds to finish and store their outcomes, then give back every row not finished."""
        if self._claiming is not None:  # its rows join the ready ones, given back below
            with contextlib.suppress(Exception):
                await self._claiming
            self._claiming = None
        waiting = {task: row for task, row in self._tasks.items() if row not in self._on_air}
        for task in waiting:
            task.cancel()
        under_way = len(self._tasks) - len(waiting)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.drain)
        cut_off = {task: row for task, row in self._tasks.items() if task not in waiting and not task.done()}
        for task in cut_off:
            task.cancel()
        stopped = {**waiting, **cut_off}
        await asyncio.gather(*stopped, return_exceptions=True)
        unsent = [*stopped.values(), *(prepared.notification_id for prepared, _ in self._ready)]
        self._ready.clear()
        given_back = 0
        try:
            given_back = await self._db(release, self.engine, self.worker_id, unsent)
        except STORE_DOWN:
            log.warning("outbox: store unreachable at stop; %d rows wait for the lease", len(unsent))
        log.info(
            "outbox: stopped; %d sends under way finished, %d cut off; %d rows given back",
            under_way - len(cut_off),
            len(cut_off),
            given_back,
        )

    # -- store work (in threads) ----------------------------------------------------------------

    async def _defer(self, notification_id: int, wait: timedelta, error: str | None = None) -> None:
        await self._db(defer, self.engine, notification_id, self.clock() + wait, error)

    async def _paced_wait(self) -> float | None:
        """Seconds until the earliest row put back for pacing is due; None when there is none."""
        if not self._paced:
            return None
        self._paced, earliest = await self._db(still_waiting, self.engine, self._paced)
        if earliest is None:
            return None if not self._paced else 0.0
        return (earliest - self.clock()).total_seconds()


def _fail(waiting: Sequence[tuple[Any, asyncio.Future[Any]]], error: BaseException) -> None:
    for _, done in waiting:
        if not done.done():
            done.set_exception(error)
