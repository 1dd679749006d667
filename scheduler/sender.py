"""How the outbox dispatcher reaches a channel, without knowing any messenger library.

`bots/` implements one `Sender` per channel and hands them to the dispatcher at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    error: str = ""
    provider_id: str = ""
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
