"""Twilio's delivery status callbacks onto the outbox's `DeliveryAttempt` rows.

Every callback records the provider's status (queued, sent, delivered, read, failed, undelivered) and
any error code on the attempt with that MessageSid; statuses only move forward, whatever order the
callbacks are applied in. A final failure makes the next channel take over:
the attempt becomes "failed" (the router skips that identity for this notification) and the
notification goes back to pending, due now. Errors that say the number itself cannot take messages
(not on WhatsApp, blocked, unknown) also mark the identity blocked, so later messages skip it.
A callback can overtake the dispatcher writing the attempt's MessageSid: it is applied once it can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.clock import utcnow
from models.enums import AttemptOutcome, NotificationStatus
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity

log = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Callbacks can be applied out of order: a status only ever moves forward along this order.
PROGRESS = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}
FINAL = max(PROGRESS.values()) + 1
# 63024 not a WhatsApp user / invalid recipient, 63003 unreachable on WhatsApp, 30004 blocked,
# 30005 unknown handset, 30006 landline, 21610 the number sent STOP.
NUMBER_UNUSABLE = frozenset({"63003", "63024", "30004", "30005", "30006", "21610"})
WAITS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class StatusUpdate:
    message_sid: str
    status: str
    error_code: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def parse_status(form: Mapping[str, str]) -> StatusUpdate | None:
    sid = form.get("MessageSid", "").strip()
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or (status not in PROGRESS and status not in FAILED_STATUSES):
        return None
    return StatusUpdate(sid, status, form.get("ErrorCode", "").strip())


def apply_status(engine: Engine, update: StatusUpdate) -> bool | None:
    """Record the update. None when no attempt has this MessageSid (yet); True when the notification
    was handed back to the dispatcher for the next channel."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        attempt = session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.provider_id == update.message_sid).with_for_update()
        ).first()
        if attempt is None:
            return None
        if _rank(update.status) <= _rank(attempt.provider_status):
            return False  # a late "sent" or a repeated callback changes nothing
        attempt.provider_status = update.status
        if not update.failed:
            return False
        attempt.outcome = AttemptOutcome.FAILED.value
        attempt.error = f"{update.status}:{update.error_code or '-'}"
        if update.error_code in NUMBER_UNUSABLE and attempt.identity_id is not None:
            identity = session.get(ChannelIdentity, attempt.identity_id)
            if identity is not None and identity.blocked_at is None:
                identity.blocked_at = utcnow()
        row = session.get(Notification, attempt.notification_id)
        if row is None or row.status != NotificationStatus.SENT:
            return False
        row.status = NotificationStatus.PENDING.value
        row.next_attempt_at = utcnow()
        row.sent_at = None
        row.last_error = attempt.error
        log.info(
            "twilio: notification %s %s on %s (%s), next channel",
            row.id,
            update.status,
            attempt.channel,
            update.error_code or "-",
        )
        return True


def _rank(status: str | None) -> int:
    if status in FAILED_STATUSES:
        return FINAL
    return PROGRESS.get(status or "", -1)


async def apply_when_known(engine: Engine, update: StatusUpdate) -> bool:
    """Apply the update, waiting briefly for the dispatcher to record the MessageSid first."""
    for wait in (*WAITS, None):
        applied = await asyncio.to_thread(apply_status, engine, update)
        if applied is not None:
            return applied
        if wait is None:
            break
        await asyncio.sleep(wait)
    log.info("twilio: status %s for an unknown message", update.status)
    return False
