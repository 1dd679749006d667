"""Flood limits shaped like Telegram's: token buckets per bot and per chat, on an injectable clock."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """How fast the bot may send. ``None`` lifts that limit.

    Defaults follow Telegram's published guidance: about 30 messages per second overall,
    one per second in a private chat (with a small burst), 20 per minute in a group.
    """

    overall_per_second: float | None = 30.0
    overall_burst: int = 30
    private_per_second: float | None = 1.0
    private_burst: int = 3
    group_per_minute: float | None = 20.0
    group_burst: int = 20

    @classmethod
    def unlimited(cls) -> RateLimits:
        """No flood limits at all (benchmarks, most flow tests)."""
        return cls(overall_per_second=None, private_per_second=None, group_per_minute=None)


class TokenBucket:
    """A classic token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(max(1, capacity))
        self.tokens = self.capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class FloodControl:
    """Decides whether one more message may go to a chat now, and if not, the ``retry_after``."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self._overall: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._forced: dict[int, float] = {}
        self._armed: dict[int, float] = {}

    def reset(self, limits: RateLimits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        self._overall = None
        self._chats.clear()
        self._forced.clear()
        self._armed.clear()

    def force(self, chat_id: int, retry_after: float) -> None:
        """Answer every send to ``chat_id`` with 429 for the next ``retry_after`` seconds (0 clears)."""
        if retry_after <= 0:
            self._forced.pop(chat_id, None)
        else:
            self._forced[chat_id] = self.clock() + retry_after

    def force_from_next_send(self, chat_id: int, retry_after: float) -> None:
        """Open the ``retry_after`` window at the next send to ``chat_id`` rather than now, so that a
        test whose send comes after a slow conversation still meets its 429 (0 clears)."""
        self._forced.pop(chat_id, None)
        if retry_after <= 0:
            self._armed.pop(chat_id, None)
        else:
            self._armed[chat_id] = retry_after

    def _chat_bucket(self, chat_id: int, private: bool, now: float) -> TokenBucket | None:
        if private:
            rate = self.limits.private_per_second
            burst = self.limits.private_burst
        else:
            per_minute = self.limits.group_per_minute
            rate = None if per_minute is None else per_minute / 60.0
            burst = self.limits.group_burst
        if rate is None:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None or bucket.rate != rate:
            bucket = self._chats[chat_id] = TokenBucket(rate, burst, now)
        return bucket

    def acquire(self, chat_id: int, private: bool) -> int | None:
        """Take one message slot; return ``None`` if allowed, else the whole seconds to wait (>= 1)."""
        now = self.clock()
        armed = self._armed.pop(chat_id, None)
        if armed is not None:
            self._forced[chat_id] = now + armed
        until = self._forced.get(chat_id)
        if until is not None:
            if now < until:
                return max(1, math.ceil(until - now))
            del self._forced[chat_id]
        buckets: list[TokenBucket] = []
        if self.limits.overall_per_second is not None:
            if self._overall is None:
                self._overall = TokenBucket(self.limits.overall_per_second, self.limits.overall_burst, now)
            buckets.append(self._overall)
        chat_bucket = self._chat_bucket(chat_id, private, now)
        if chat_bucket is not None:
            buckets.append(chat_bucket)
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take(now)
        return None
