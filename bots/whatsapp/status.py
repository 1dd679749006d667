"""Twilio's delivery status callbacks, read into the outbox's delivery reports (`outbox.settle`).

Every callback records the provider's status (queued, sent, delivered, read, failed, undelivered) and
any error code on the attempt with that MessageSid; `outbox.settle.apply_report` says what a report
does to the outbox. Twilio's error codes that say the number itself cannot take messages (not on
WhatsApp, blocked, unknown) are named here.
A callback can overtake the dispatcher writing the attempt's MessageSid: it is applied once it can.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from sqlalchemy import Engine

from outbox.settle import FAILED_STATUSES, PROGRESS, DeliveryReport, apply_report

log = logging.getLogger(__name__)

# 63024 not a WhatsApp user / invalid recipient, 63003 unreachable on WhatsApp, 30004 blocked,
# 30005 unknown handset, 30006 landline, 21610 the number sent STOP.
NUMBER_UNUSABLE = frozenset({"63003", "63024", "30004", "30005", "30006", "21610"})
WAITS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0)


def parse_status(form: Mapping[str, str]) -> DeliveryReport | None:
    sid = form.get("MessageSid", "").strip()
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or (status not in PROGRESS and status not in FAILED_STATUSES):
        return None
    code = form.get("ErrorCode", "").strip()
    return DeliveryReport(sid, status, code, address_unusable=code in NUMBER_UNUSABLE)


async def apply_when_known(engine: Engine, report: DeliveryReport) -> bool:
    """Apply the report, waiting briefly for the dispatcher to record the MessageSid first."""
    for wait in (*WAITS, None):
        applied = await asyncio.to_thread(apply_report, engine, report)
        if applied is not None:
            return applied
        if wait is None:
            break
        await asyncio.sleep(wait)
    log.info("twilio: status %s for an unknown message", report.status)
    return False
