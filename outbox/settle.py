"""Settling a send: what an attempt's outcome does to its row, written once for the dispatcher and
for the providers' later delivery reports.

* delivered → the row is "sent" (its attempt "cut" when the channel had to shorten it);
* retry → back to pending with exponential backoff (2 s, 4 s, … capped at 10 min); after
  `max_attempts` retries on one channel, that channel counts as failed;
* throttled (HTTP 429) → back to pending after exactly the provider's `retry_after`; a throttle is
  the budget's business, not the message's, so it never counts as a try (nor in `attempts`);
* blocked → the identity is marked blocked (`mark_blocked`) and the next channel is tried at once;
* failed → the next channel is tried at once;
* no channel left (or the next one is `post`) → "no_channel": the class teacher's list of people to
  reach by phone or on paper, with an audit row (a group chat's row is "failed").

A delivery report (`apply_report`, from a provider's status callback) only moves an attempt's
provider status forward; a final failure turns the attempt "failed", hands a sent row back to the
dispatcher for the next channel, and marks the identity blocked when the number itself cannot take
messages. Logs carry ids only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, update
from sqlmodel import Session, select

from models.clock import utcnow
from models.enums import AttemptOutcome, NotificationStatus
from models.journal import AuditLog
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity
from outbox.route import Target
from outbox.sender import Outcome, SendResult

log = logging.getLogger("ustaz.outbox")

MAX_ATTEMPTS = 8
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0


def backoff(retries: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds before retry number `retries` (1-based): base, 2·base, 4·base, … at most `cap`."""
    return min(cap, base * 2.0 ** max(retries - 1, 0))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    backoff_base: float = BACKOFF_BASE
    backoff_cap: float = BACKOFF_CAP

    def delay(self, retries: int) -> float:
        return backoff(retries, self.backoff_base, self.backoff_cap)


@dataclass(frozen=True)
class Finished:
    """One attempt's outcome, to be written."""

    notification_id: int
    target: Target
    attempt_id: int
    result: SendResult


def audit(session: Session, action: str, entity_id: int | None, **detail: Any) -> None:
    """An audit row for the outbox: ids only, never names or addresses."""
    session.add(AuditLog(action=action, entity="notification", entity_id=entity_id, detail=detail))


def mark_blocked(session: Session, identity_id: int | None, now: datetime) -> None:
    """The identity can take no messages (the person blocked the bot, the number is unusable):
    later routes skip it. The first moment is kept."""
    if identity_id is None:
        return
    identity = session.get(ChannelIdentity, identity_id)
    if identity is not None and identity.blocked_at is None:
        identity.blocked_at = now


_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]
_OUTBOX = Notification.__table__  # type: ignore[attr-defined]
# Deliveries, the common outcome, are written as two statements on the connection (the attempts'
# executemany, the rows' one UPDATE): the ORM's bulk UPDATE by primary key cost more than the writing.
_DELIVERED_ATTEMPT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt"))
    .values(
        finished_at=bindparam("at"),
        outcome=bindparam("outcome"),
        error=bindparam("problem"),
        provider_id=bindparam("provider"),
    )
)
_SENT = (  # one statement for the round's deliveries: they share the moment
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("rows", expanding=True)))
    .values(
        status=NotificationStatus.SENT.value, sent_at=bindparam("at"), last_error=None, next_attempt_at=None
    )
)


def record_in(session: Session, finished: list[Finished], policy: RetryPolicy, now: datetime) -> list[bool]:
    """Write the attempts' outcomes in the caller's transaction: deliveries in bulk, the rest one by
    one. True for a row that is settled (sent, or a retry scheduled); False when the next channel is
    due."""
    delivered = [f for f in finished if f.result.outcome == Outcome.DELIVERED]
    if delivered:
        connection = session.connection()
        connection.execute(
            _DELIVERED_ATTEMPT,
            [
                {
                    "attempt": f.attempt_id,
                    "at": now,
                    # an SMS cut at the segment cap went, but not whole: the reports say so
                    "outcome": (AttemptOutcome.CUT if f.result.cut else AttemptOutcome.DELIVERED).value,
                    "problem": f.result.error[:300] or None,
                    "provider": f.result.provider_id[:64] or None,
                }
                for f in delivered
            ],
        )
        connection.execute(_SENT, {"rows": [f.notification_id for f in delivered], "at": now})
        for f in delivered:
            log.info("outbox: notification %s sent on %s", f.notification_id, f.target.channel)
    return [
        True if f.result.outcome == Outcome.DELIVERED else _record(session, f, policy, now) for f in finished
    ]


def _record(session: Session, finished: Finished, policy: RetryPolicy, now: datetime) -> bool:
    """Write a failed attempt's outcome. True when a retry is scheduled (the row is settled)."""
    nid, target, result = finished.notification_id, finished.target, finished.result
    attempt = session.get(DeliveryAttempt, finished.attempt_id)
    row = session.get(Notification, nid)
    if attempt is None or row is None:
        raise LookupError(f"notification {nid} or its attempt {finished.attempt_id} is gone")
    attempt.finished_at = now
    attempt.error = result.error[:300] or None
    attempt.provider_id = result.provider_id[:64] or None
    row.last_error = (result.error or result.outcome.value)[:300]
    if result.outcome == Outcome.THROTTLED:
        attempt.outcome = AttemptOutcome.THROTTLED.value
        row.attempts = max(row.attempts - 1, 0)
        delay = max(result.retry_after, 1.0)
        _back_to_pending(row, now + timedelta(seconds=delay))
        log.info("outbox: notification %s throttled on %s, again in %.1fs", nid, target.channel, delay)
        return True
    if result.outcome == Outcome.RETRY:
        retries = _retries_on(session, nid, target) + 1
        if retries < policy.max_attempts:
            attempt.outcome = AttemptOutcome.RETRY.value
            delay = policy.delay(retries)
            _back_to_pending(row, now + timedelta(seconds=delay))
            log.info("outbox: notification %s retry %d in %.1fs", nid, retries, delay)
            return True
        attempt.outcome = AttemptOutcome.FAILED.value
        attempt.error = f"retries exhausted: {result.error}"[:300]
        log.warning("outbox: notification %s gave up on %s after %d tries", nid, target.channel, retries)
        return False
    if result.outcome == Outcome.BLOCKED:
        attempt.outcome = AttemptOutcome.BLOCKED.value
        mark_blocked(session, target.identity_id, now)
        log.info("outbox: identity %s blocked, notification %s falls back", target.identity_id, nid)
        return False
    attempt.outcome = AttemptOutcome.FAILED.value
    log.info("outbox: notification %s failed on %s, falls back", nid, target.channel)
    return False


def _retries_on(session: Session, notification_id: int, target: Target) -> int:
    statement = select(func.count()).where(
        DeliveryAttempt.notification_id == notification_id,
        DeliveryAttempt.channel == target.channel,
        DeliveryAttempt.outcome == AttemptOutcome.RETRY.value,
    )
    if target.identity_id is not None:
        statement = statement.where(DeliveryAttempt.identity_id == target.identity_id)
    return int(session.exec(statement).one())


def _back_to_pending(row: Notification, due: datetime | None) -> None:
    row.status = NotificationStatus.PENDING.value
    row.next_attempt_at = due
    row.claimed_by = None
    row.claimed_at = None


def defer(engine: Engine, notification_id: int, until: datetime, error: str | None = None) -> None:
    """Give a claimed row back, due again at `until` (pacing, or a failure inside the dispatcher)."""
    with Session(engine) as session, session.begin():
        row = session.get(Notification, notification_id)
        if row is None or row.status != NotificationStatus.SENDING:
            return
        _back_to_pending(row, until)
        if error:
            row.last_error = error


def finish_unreached(engine: Engine, notification_id: int, reason: str) -> None:
    """No channel can carry the row (see `unreached`), in its own transaction."""
    with Session(engine) as session, session.begin():
        row = session.get(Notification, notification_id)
        if row is not None:
            unreached(session, row, reason)


def unreached(session: Session, row: Notification, reason: str) -> None:
    """No channel can carry it: a person goes on the class teacher's list; a group chat failed."""
    to_group = row.group_chat_id is not None
    row.status = (NotificationStatus.FAILED if to_group else NotificationStatus.NO_CHANNEL).value
    row.claimed_by = None
    row.last_error = reason
    audit(
        session,
        "notification.failed" if to_group else "notification.no_channel",
        row.id,
        person_id=row.person_id,
        kind=row.kind,
        reason=reason,
    )
    log.info("outbox: notification %s unreached (%s)", row.id, reason)


# -- delivery reports ---------------------------------------------------------------------------

FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Reports can be applied out of order: a status only ever moves forward along this order.
PROGRESS = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5}
FINAL = max(PROGRESS.values()) + 1


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's later word on a message it accepted: its id, status and error code, and whether
    that error says the address itself can take no messages."""

    provider_id: str
    status: str
    error_code: str = ""
    address_unusable: bool = False

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def _rank(status: str | None) -> int:
    if status in FAILED_STATUSES:
        return FINAL
    return PROGRESS.get(status or "", -1)


def apply_report(engine: Engine, report: DeliveryReport) -> bool | None:
    """Record the report on the attempt with that provider id. None when there is none (yet); True
    when the notification was handed back to the dispatcher for the next channel."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        attempt = session.exec(
            select(DeliveryAttempt).where(DeliveryAttempt.provider_id == report.provider_id).with_for_update()
        ).first()
        if attempt is None:
            return None
        if _rank(report.status) <= _rank(attempt.provider_status):
            return False  # a late "sent" or a repeated report changes nothing
        attempt.provider_status = report.status
        if not report.failed:
            return False
        attempt.outcome = AttemptOutcome.FAILED.value
        attempt.error = f"{report.status}:{report.error_code or '-'}"
        if report.address_unusable:
            mark_blocked(session, attempt.identity_id, utcnow())
        row = session.get(Notification, attempt.notification_id)
        if row is None or row.status != NotificationStatus.SENT:
            return False
        _back_to_pending(row, utcnow())
        row.sent_at = None
        row.last_error = attempt.error
        log.info(
            "outbox: notification %s %s on %s (%s), next channel",
            row.id,
            report.status,
            attempt.channel,
            report.error_code or "-",
        )
        return True
