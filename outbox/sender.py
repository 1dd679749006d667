"""How the outbox dispatcher reaches a channel, without knowing any messenger library.

`bots/` implements one `Sender` per channel and hands them to the dispatcher at start-up. A sender
whose provider can say whether a message went out (Twilio: its Messages resource) also implements
`Lookup`, so a send whose outcome was never stored is looked up before it is repeated; Telegram's
Bot API has no such lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    THROTTLED = "throttled"  # 429: wait `retry_after`; not a failed try
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    error: str = ""
    provider_id: str = ""
    # A throttle of the whole bot or sender number (Twilio's 429), not of one chat.
    whole_sender: bool = False
    cut: bool = False  # delivered, but shortened to fit the channel (an SMS over its segment cap)


@dataclass(frozen=True)
class Outgoing:
    """A rendered message for one address on one channel."""

    address: str
    text: str
    media_path: str | None = None
    template_key: str | None = None
    template_params: tuple[str, ...] = ()
    within_session: bool = True
    locale: str = ""  # the recipient's language (picks a WhatsApp template)


class Sender(Protocol):
    channel: str

    async def send(self, message: Outgoing) -> SendResult: ...


@runtime_checkable
class Lookup(Protocol):
    async def find(self, message: Outgoing, since: datetime) -> SendResult | None:
        """The outcome of `message` if the provider accepted it at or after `since`, else None."""
        ...
