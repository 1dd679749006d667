"""Pacing inside one process (`outbox.budget.LocalBudget`, for SQLite's single dispatcher): how fast
it may send, per channel and per chat, never faster.

* One global pace per channel: Telegram 30/s, each Twilio sender number (WhatsApp, SMS)
  `twilio_rate_per_second`. Sends take slots 1/rate apart in turn (`Grid`): none goes before its slot,
  and the event loop waking a little late does not push the later slots back, so a busy process
  still sends at the limit instead of a little under it on every message.
* Per chat, a sliding window: a private chat (or a WhatsApp/SMS number) at most
  `telegram_rate_per_chat_per_second` messages in any second, a group chat at most
  `telegram_group_rate_per_minute` in any minute. A chat has at most one send in flight, and its
  slot is recorded at the moment the send starts, so the window holds for the sends themselves.

Checking a chat never waits: `next_allowed` says when a chat may send again and the dispatcher
puts the row back until then, so one slow chat never stalls the others. Several dispatcher
processes share `outbox.budget.SharedBudget` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from models.enums import Channel
from settings import Settings


@dataclass(frozen=True)
class Window:
    count: int
    seconds: float


class Grid:
    """One channel's sends at `rate` a second, on slots 1/rate apart, taken in turn.

    A slot is placed one gap after the previous slot, not after the moment its send woke up, so the
    small delays of a busy event loop do not add up; slots missed while nothing was waiting are not
    made up, so there is no burst."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self._next = 0.0
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for this send's slot."""
        async with self._turn:
            loop = asyncio.get_running_loop()
            now = loop.time()
            slot = max(self._next, now)
            if slot > now:
                await asyncio.sleep(slot - now)
            self._next = slot + self.gap

    def hold(self, seconds: float) -> None:
        """No slot before `seconds` from now (the sender answered 429)."""
        self._next = max(self._next, asyncio.get_running_loop().time() + seconds)


class Pacer:
    def __init__(self, settings: Settings, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        twilio = settings.twilio_rate_per_second
        rates = {
            Channel.TELEGRAM.value: settings.telegram_rate_per_second,
            Channel.WHATSAPP.value: twilio,
            Channel.SMS.value: twilio,
        }
        self._grids = {channel: Grid(rate) for channel, rate in rates.items()}
        self.private = _window(settings.telegram_rate_per_chat_per_second, 1.0)
        self.group = _window(settings.telegram_group_rate_per_minute / 60.0, 60.0)
        self._sent: dict[str, deque[float]] = {}
        self._busy: set[str] = set()
        self._held: dict[str, float] = {}

    def window(self, is_group: bool) -> Window:
        return self.group if is_group else self.private

    def next_allowed(self, chat: str, is_group: bool) -> float:
        """Seconds until `chat` may send (0 when it may now). A busy chat answers a short wait."""
        window = self.window(is_group)
        if chat in self._busy:
            return window.seconds / window.count
        now = self._monotonic()
        held = self._held.get(chat, now) - now
        if held > 0:
            return held
        self._held.pop(chat, None)
        sent = self._sent.get(chat)
        if not sent:
            return 0.0
        while sent and sent[0] <= now - window.seconds:
            sent.popleft()
        if len(sent) < window.count:
            return 0.0
        return max(0.0, sent[0] + window.seconds - now)

    def take(self, chat: str) -> None:
        """Reserve the chat for one send (call only after `next_allowed` said 0)."""
        self._busy.add(chat)

    async def start_send(self, channel: str, chat: str) -> None:
        """Wait for the channel's global limiter, then record the chat's slot: call right before the send."""
        grid = self._grids.get(channel)
        if grid is not None:
            await grid.acquire()
        self._sent.setdefault(chat, deque()).append(self._monotonic())

    def release(self, chat: str) -> None:
        self._busy.discard(chat)

    def hold(self, channel: str | None, chat: str, seconds: float) -> None:
        """A 429: the chat (or, with `channel`, that whole sender) sends nothing for `seconds`."""
        if channel is not None and channel in self._grids:
            self._grids[channel].hold(seconds)
            return
        self._held[chat] = max(self._held.get(chat, 0.0), self._monotonic() + seconds)


def _window(rate: float, seconds: float) -> Window:
    """A rate as a whole number of sends per window (at least one, rounding down: never above)."""
    count = int(rate * seconds + 1e-9)
    if count >= 1:
        return Window(count, seconds)
    return Window(1, 1.0 / rate)
