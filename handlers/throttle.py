"""Flood and guessing limits per chat identity.

* Updates: a token bucket per identity (a burst of `BURST`, then `PER_SECOND`), held in memory and
  checked before the turn touches the store, so one person sending 100 updates a second costs the
  others nothing. The first update over the limit is answered once with "slow down"; the rest are
  dropped silently until the bucket refills. Each process keeps its own buckets (several bot workers
  each allow the burst), which is enough to stop a flood without a round trip to the store.
* Invite codes: a stranger who types `MAX_WRONG_CODES` wrong codes within `WRONG_CODE_WINDOW` is
  told to wait. The wrong tries are audit rows, so every worker counts them. Codes are 10 characters
  from a 31-letter alphabet (models/invites.py): 31**10 ≈ 8·10^14 codes, so at 5 guesses an hour
  one identity would need billions of years to find one of a school's few thousand live codes.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from handlers.context import Turn
from handlers.types import Identity, Reply
from locales import N, T
from models.journal import AuditLog

BURST = 30
PER_SECOND = 1.0
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
WRONG_CODE = "invite.wrong_code"


class Throttle:
    """Token buckets keyed by (channel, address); safe to share between turn threads (PostgreSQL)."""

    def __init__(
        self, burst: int = BURST, per_second: float = PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float, bool]] = {}
        self._lock = threading.Lock()

    def admit(self, identity: Identity) -> bool | None:
        """True: go ahead. False: over the limit, answer once. None: over the limit, already told."""
        key = (identity.channel, identity.address)
        now = self.clock()
        with self._lock:
            tokens, at, told = self._buckets.get(key, (float(self.burst), now, False))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            told = told and tokens < self.burst  # told once per flood, again only after a full refill
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now, told)
                if len(self._buckets) > 100_000:
                    self._forget_full(now)
                return True
            self._buckets[key] = (tokens, now, True)
            return None if told else False

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a fresh bucket would not."""
        for key, (tokens, at, _told) in list(self._buckets.items()):
            if tokens + (now - at) * self.per_second >= self.burst:
                del self._buckets[key]


_per_store: weakref.WeakKeyDictionary[Engine, Throttle] = weakref.WeakKeyDictionary()
_per_store_lock = threading.Lock()


def for_store(engine: Engine) -> Throttle:
    """The process's throttle for this store (one store per process; tests get one per store)."""
    with _per_store_lock:
        found = _per_store.get(engine)
        if found is None:
            found = _per_store[engine] = Throttle()
        return found


def flooded(engine: Engine, identity: Identity, locale: str) -> list[Reply] | None:
    """None when the update may be handled; else the replies for a flooding identity."""
    admitted = for_store(engine).admit(identity)
    if admitted:
        return None
    return [Reply(T("throttle.slow_down"), locale=locale)] if admitted is False else []


def too_many_wrong_codes(turn: Turn) -> list[Reply] | None:
    """The answer for an identity that has guessed wrong too often lately; None when it may try."""
    if turn.identity.id is None:
        return None  # first heard from now: no wrong codes yet
    since = turn.now - WRONG_CODE_WINDOW
    wrong = turn.session.exec(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == WRONG_CODE,
            AuditLog.entity_id == turn.identity.id,
            col(AuditLog.at) >= since,
        )
    ).one()
    if wrong < MAX_WRONG_CODES:
        return None
    return [Reply(N("throttle.codes_wait", "minutes", minutes=int(WRONG_CODE_WINDOW.total_seconds() // 60)))]


def count_wrong_code(turn: Turn) -> None:
    turn.session.add(
        AuditLog(at=turn.now, action=WRONG_CODE, entity="channel_identity", entity_id=turn.identity_id())
    )
