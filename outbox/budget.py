"""The send budget: how fast the outbox may send, per bot or sender number and per chat, counted once
for every dispatcher process.

The rates are per bot and per sender number, never per process: Telegram allows a bot about 30
messages a second in all, one a second in a private chat and 20 a minute in a group; Twilio a sender
number `twilio_rate_per_second` (its WhatsApp and SMS numbers, one per channel, each a key of its
own). A WhatsApp or SMS number takes the private chats' pace.

* `LocalBudget` (SQLite, one dispatcher): `outbox.pacing.Pacer` in the process.
* `SharedBudget` (PostgreSQL): one row per bot/sender and per chat in `send_budget`, holding the
  moment in the database's clock at which its next send may go. A round of the dispatcher takes its
  sends' slots in one transaction: each send gets the sender's next slot (slots 1/rate apart, handed
  out in turn to whichever process asks), and only if its chat may send at that slot; the chat then
  waits its gap from that slot. The row lock on the sender's row orders the processes; the
  database's clock, not the processes', decides, so hosts whose clocks differ still share one pace.
  Work spreads as evenly as the processes ask: each asks for as many slots as it has room in flight.
  A process that dies wastes at most its reserved slots (its in-flight limit, about half a second).

A 429 holds the chat (Telegram: its answer is about that chat) or the whole sender (Twilio's
account-wide 429) for `retry_after` seconds, for every process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, text

from models.enums import Channel
from outbox.pacing import Pacer
from outbox.route import Target
from settings import Settings

FORGET_AFTER = 3600.0  # a chat's row idle this long is deleted


@dataclass(frozen=True)
class Reservation:
    """`ok`: the send may go at its slot, `wait` seconds after `at` (monotonic). Not `ok`: the chat
    may send again in `wait` seconds; put the row back until then."""

    ok: bool
    wait: float = 0.0
    at: float = field(default_factory=time.monotonic)


class Budget(Protocol):
    async def reserve(self, targets: Sequence[Target]) -> list[Reservation]: ...

    async def start_send(self, target: Target, reservation: Reservation) -> None: ...

    def release(self, target: Target) -> None: ...

    async def hold(self, target: Target, seconds: float, *, whole_sender: bool) -> None: ...

    async def tidy(self) -> None: ...


class LocalBudget:
    """One process's budget: a chat at a time, the sender's slots in turn (`Pacer`)."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def reserve(self, targets: Sequence[Target]) -> list[Reservation]:
        reservations = []
        for target in targets:
            wait = self.pacer.next_allowed(target.chat, target.is_group)
            if wait <= 0:
                self.pacer.take(target.chat)
            reservations.append(Reservation(wait <= 0, max(wait, 0.0)))
        return reservations

    async def start_send(self, target: Target, reservation: Reservation) -> None:
        await self.pacer.start_send(target.channel, target.chat)

    def release(self, target: Target) -> None:
        self.pacer.release(target.chat)

    async def hold(self, target: Target, seconds: float, *, whole_sender: bool) -> None:
        self.pacer.hold(target.channel if whole_sender else None, target.chat, seconds)

    async def tidy(self) -> None:
        return None


def sender_gaps(settings: Settings) -> dict[str, float]:
    """Seconds between two sends of one bot or sender number."""
    twilio = 1.0 / settings.twilio_rate_per_second
    return {
        Channel.TELEGRAM.value: 1.0 / settings.telegram_rate_per_second,
        Channel.WHATSAPP.value: twilio,
        Channel.SMS.value: twilio,
    }


# Lock (creating when new) the rows of the keys, in key order, and read their next moments and the
# database's clock once each is locked. Every round trip of this transaction holds the bot's row
# locked, so the clock comes with the rows and the new moments go back in one statement.
_LOCK = text(
    "INSERT INTO send_budget (key, next_at) SELECT k, 0 FROM unnest(CAST(:keys AS varchar[])) AS k "
    "ORDER BY k ON CONFLICT (key) DO UPDATE SET key = excluded.key "
    "RETURNING key, next_at, extract(epoch FROM clock_timestamp())::float8"
)
_SET = text(
    "UPDATE send_budget SET next_at = moment.next_at "
    "FROM unnest(CAST(:keys AS varchar[]), CAST(:moments AS float8[])) AS moment (key, next_at) "
    "WHERE send_budget.key = moment.key"
)
_HOLD = text(
    "INSERT INTO send_budget (key, next_at) VALUES (:key, extract(epoch FROM clock_timestamp()) + :seconds) "
    "ON CONFLICT (key) DO UPDATE SET next_at = greatest(send_budget.next_at, excluded.next_at)"
)
# The budget's rows are pacing, not records: a transaction that changes them does not wait for its
# commit to reach the disk. Waiting held the bot's row locked through every fsync (11 ms a commit
# on a busy machine), so every dispatcher process queued behind it; losing the last moments to a
# crash of PostgreSQL costs at most a few sends that go early, which Telegram answers with a 429.
_UNFLUSHED = text("SET LOCAL synchronous_commit TO OFF")
_FORGET = text(
    "DELETE FROM send_budget WHERE key LIKE '%:%' AND next_at < extract(epoch FROM clock_timestamp()) - :idle"
)


class SharedBudget:
    """Every dispatcher's budget in PostgreSQL's `send_budget` table (see the module's docstring)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.sender_gap = sender_gaps(settings)
        self.private_gap = 1.0 / settings.telegram_rate_per_chat_per_second
        self.group_gap = 60.0 / settings.telegram_group_rate_per_minute

    def _chat_gap(self, target: Target) -> float:
        return self.group_gap if target.is_group else self.private_gap

    def reserve_now(self, targets: Sequence[Target]) -> list[Reservation]:
        """Take the sends' slots in one transaction (blocking: run it in a store thread)."""
        chats = sorted({t.chat for t in targets})
        senders = sorted({t.channel for t in targets})
        with self.engine.begin() as connection:
            connection.execute(_UNFLUSHED)
            # Sender rows first, then chat rows: a chat belongs to one sender, so two rounds never
            # wait on each other's rows in opposite orders.
            locked = list(connection.execute(_LOCK, {"keys": senders}).all())
            locked += connection.execute(_LOCK, {"keys": chats}).all()
            moments = {str(key): float(at) for key, at, _ in locked}
            now = max(float(clock) for _, _, clock in locked)
            arrived = time.monotonic()
            reservations = []
            for target in targets:
                slot = max(moments[target.channel], now)
                chat_free = moments[target.chat]
                if chat_free > slot:
                    reservations.append(Reservation(False, chat_free - now, arrived))
                    continue
                moments[target.channel] = slot + self.sender_gap.get(target.channel, 0.0)
                moments[target.chat] = slot + self._chat_gap(target)
                reservations.append(Reservation(True, slot - now, arrived))
            changed = {t.channel for t in targets} | {
                t.chat for t, r in zip(targets, reservations, strict=True) if r.ok
            }
            keys = sorted(changed)
            connection.execute(_SET, {"keys": keys, "moments": [moments[key] for key in keys]})
        return reservations

    async def reserve(self, targets: Sequence[Target]) -> list[Reservation]:
        return await asyncio.to_thread(self.reserve_now, targets)

    async def start_send(self, target: Target, reservation: Reservation) -> None:
        delay = reservation.at + reservation.wait - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def release(self, target: Target) -> None:
        return None

    async def hold(self, target: Target, seconds: float, *, whole_sender: bool) -> None:
        key = target.channel if whole_sender else target.chat
        await asyncio.to_thread(self._hold, key, seconds)

    def _hold(self, key: str, seconds: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(_UNFLUSHED)
            connection.execute(_HOLD, {"key": key, "seconds": seconds})

    async def tidy(self) -> None:
        """Forget chats that have not sent for an hour (sender rows stay)."""
        await asyncio.to_thread(self._tidy)

    def _tidy(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(_UNFLUSHED)
            connection.execute(_FORGET, {"idle": FORGET_AFTER})
