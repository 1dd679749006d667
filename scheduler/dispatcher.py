"""The outbox dispatcher: the async loop that delivers due notifications through the channel senders.

Each round it claims due rows (`outbox.claim`: marked "sending" before any send), prepares them
(`outbox.prepare`: consent, quiet hours, route, text), checks pacing (`outbox.pacing`) and starts a
task per row up to the in-flight limit. A task records its attempt as begun before calling the
sender, and its outcome after (`outbox.settle`, which says what each outcome does to the row).
A chat not yet allowed to send is put back until it is, so a slow chat never holds up the queue.

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
import time as _time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine

from models.clock import utcnow
from models.settings import Settings
from models.store import is_postgres
from outbox.claim import claim, reconcile, still_waiting
from outbox.pacing import Pacer
from outbox.prepare import Prepared, begin_attempts, prepare_many
from outbox.route import Target
from outbox.sender import Outcome, Outgoing, Sender, SendResult
from outbox.settle import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    Finished,
    RetryPolicy,
    defer,
    finish_unreached,
    record_many,
)

log = logging.getLogger("ustaz.outbox")

LEASE = timedelta(minutes=5)
STORE_THREADS = 4
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
        self.policy = RetryPolicy(max_attempts, backoff_base, backoff_cap)
        self.pacer = Pacer(settings, monotonic)
        self._tasks: set[asyncio.Task[None]] = set()
        self._paced: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._outcomes: list[tuple[Finished, asyncio.Future[bool]]] = []
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
            wait = await self._paced_wait()
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
        for prepared in await self._prepare_many(ids):
            if prepared is None:
                continue
            targets = [t for t in prepared.plan.targets if t.channel in self.senders]
            if not targets:
                await self._db(finish_unreached, self.engine, prepared.notification_id, "no_channel")
                continue
            if await self._reserve_or_defer(prepared, targets[0]):
                ready.append((prepared, targets))
        if ready:
            attempts = await self._begin([(p.notification_id, t[0]) for p, t in ready])
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
        await self._defer(prepared.notification_id, timedelta(seconds=wait))
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
            await self._db(finish_unreached, self.engine, prepared.notification_id, reason)
        except Exception:
            log.exception("outbox: notification %s failed in the dispatcher", prepared.notification_id)
            with contextlib.suppress(Exception):
                await self._defer(
                    prepared.notification_id, timedelta(seconds=self.policy.backoff_base), "internal"
                )

    async def _send_once(
        self, prepared: Prepared, target: Target, attempt_id: int | None
    ) -> SendResult | None:
        """One attempt on one channel (already recorded as begun, or recorded now). None when the row
        is settled (sent or retry scheduled); the result when the dispatcher should move on to the
        next channel."""
        if attempt_id is None:
            attempt_id = (await self._begin([(prepared.notification_id, target)]))[0]
        message = Outgoing(
            address=target.address,
            text=prepared.text,
            media_path=prepared.media_path,
            template_key=prepared.kind,
            template_params=prepared.template_params,
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
        settled = await self._recorded(Finished(prepared.notification_id, target, attempt_id, result))
        return None if settled else result

    async def _recorded(self, finished: Finished) -> bool:
        """Queue the outcome for the next batch write and wait for it (the send stays in flight until
        its outcome is stored, which bounds what a crash can repeat)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append((finished, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outcomes())
        return await done

    async def _write_outcomes(self) -> None:
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                settled = await self._db(
                    record_many, self.engine, [finished for finished, _ in batch], self.policy, self.clock
                )
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), value in zip(batch, settled, strict=True):
                if not done.done():
                    done.set_result(value)

    # -- store work (in threads) ----------------------------------------------------------------

    async def _prepare_many(self, notification_ids: list[int]) -> list[Prepared | None]:
        return await self._db(
            prepare_many,
            self.engine,
            notification_ids,
            worker=self.worker_id,
            settings=self.settings,
            channels=self.senders.keys(),
            clock=self.clock,
        )

    async def _begin(self, starts: list[tuple[int, Target]]) -> list[int]:
        return await self._db(begin_attempts, self.engine, starts, self.clock)

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
