"""Taking due outbox rows so that no row is ever given to two dispatchers, and giving back rows a
crashed dispatcher left behind.

A row is due when it is pending, its `due_at` has come and its `next_attempt_at` (retry, pacing or
quiet-hours deferral) is unset or has come. Rows are taken oldest due first.

One statement, one round trip: ``UPDATE … SET status='sending' WHERE id IN (SELECT … LIMIT n)
RETURNING`` the columns the dispatcher prepares the rows from.

* PostgreSQL: the inner ``SELECT`` locks with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers
  take disjoint rows without waiting on each other.
* SQLite runs one writer at a time, so the statement is the claim.

Delivery is effectively-once, not exactly-once: a row is marked "sending" before the send, and a row
found "sending" after a crash goes back to pending (`reconcile`), so that one message may be sent
twice — never lost. Its unfinished attempt is closed as "interrupted": before the next send the
dispatcher asks a provider that can tell (`outbox.sender.Lookup`) whether it went out after all. A
dispatcher that stops gives back what it has not sent at once (`release`), not after the lease.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Engine, String, bindparam, cast, or_, select, update
from sqlmodel import Session, col

from models.clock import utcnow
from models.enums import AttemptOutcome, NotificationStatus
from models.outbox import DeliveryAttempt, Notification

INTERRUPTED = AttemptOutcome.INTERRUPTED.value


def _due(now: BindParameter[datetime]) -> list[ColumnElement[bool]]:
    return [
        col(Notification.status) == NotificationStatus.PENDING.value,
        col(Notification.due_at) <= now,
        or_(col(Notification.next_attempt_at).is_(None), col(Notification.next_attempt_at) <= now),
    ]


def claim(engine: Engine, worker: str, limit: int, now: datetime | None = None) -> list[int]:
    """Mark up to `limit` due rows "sending" for `worker` and return their ids, oldest due first."""
    if limit <= 0:
        return []
    with Session(engine) as session, session.begin():
        return [int(row.id) for row in claim_in(session, worker, limit, now or utcnow())]


# What a claim returns of each row: what the dispatcher prepares it from (`outbox.prepare`).
CLAIMED = (
    col(Notification.id),
    col(Notification.person_id),
    col(Notification.group_chat_id),
    col(Notification.kind),
    col(Notification.key),
    # as stored (JSON text): equal messages are then equal strings, rendered once (`outbox.prepare`)
    cast(col(Notification.params), String).label("stored"),
    col(Notification.media_path),
    col(Notification.urgent),
    col(Notification.due_at),
)
# Built once: building the statements anew at every claim cost as much as running them.
_NOW: BindParameter[datetime] = bindparam("now")
_PICK = (
    select(col(Notification.id))
    .where(*_due(_NOW))
    .order_by(col(Notification.due_at), col(Notification.id))
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)  # PostgreSQL: peers skip what this one took (SQLite: nothing)
)
_MARK_DUE = (
    update(Notification)
    .where(col(Notification.id).in_(_PICK.scalar_subquery()))
    .values(status=NotificationStatus.SENDING.value, claimed_by=bindparam("worker"), claimed_at=_NOW)
    .returning(*CLAIMED)
    .execution_options(synchronize_session=False)
)


def claim_in(session: Session, worker: str, limit: int, moment: datetime) -> list[Any]:
    """`claim` inside the caller's transaction (the dispatcher prepares the rows in the same one): the
    claimed rows (plain rows of `CLAIMED`), oldest due first."""
    if limit <= 0:
        return []
    rows = session.execute(_MARK_DUE, {"now": moment, "limit": limit, "worker": worker}).all()
    return sorted(rows, key=lambda row: (row.due_at, row.id))


def release(engine: Engine, worker: str, notification_ids: list[int], now: datetime | None = None) -> int:
    """Give back these rows of `worker`'s still "sending" (a stopping dispatcher's); returns how many."""
    if not notification_ids:
        return 0
    with Session(engine) as session, session.begin():
        mine = select(col(Notification.id)).where(
            col(Notification.id).in_(notification_ids),
            col(Notification.status) == NotificationStatus.SENDING.value,
            col(Notification.claimed_by) == worker,
        )
        ids = list(session.execute(mine.with_for_update()).scalars())
        _return(session, ids, now or utcnow())
    return len(ids)


def reconcile(engine: Engine, *, lease: timedelta | None = None, now: datetime | None = None) -> int:
    """Give rows stuck in "sending" back to pending; returns how many.

    With no `lease` every "sending" row is returned (start-up of the only dispatcher); with a lease,
    only rows claimed longer ago than that (a crashed peer's). Their unfinished attempts are closed
    as "interrupted". Such a message may be sent a second time.
    """
    moment = now or utcnow()
    with Session(engine) as session, session.begin():
        stuck = select(col(Notification.id)).where(
            col(Notification.status) == NotificationStatus.SENDING.value
        )
        if lease is not None:
            stuck = stuck.where(
                or_(col(Notification.claimed_at).is_(None), col(Notification.claimed_at) < moment - lease)
            )
        ids = list(session.execute(stuck.with_for_update(skip_locked=True)).scalars())
        _return(session, ids, moment)
    return len(ids)


def _return(session: Session, ids: list[int], moment: datetime) -> None:
    """Rows back to pending, due now; their unfinished attempts closed as interrupted."""
    if not ids:
        return
    session.execute(
        update(DeliveryAttempt)
        .where(col(DeliveryAttempt.notification_id).in_(ids), col(DeliveryAttempt.outcome).is_(None))
        .values(outcome=INTERRUPTED, finished_at=moment)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Notification)
        .where(col(Notification.id).in_(ids))
        .values(
            status=NotificationStatus.PENDING.value,
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def still_waiting(engine: Engine, notification_ids: set[int]) -> tuple[set[int], datetime | None]:
    """Of rows given back for a while (pacing), those still pending, and the earliest moment one of
    them is due again."""
    if not notification_ids:
        return set(), None
    with Session(engine) as session:
        rows = session.execute(
            select(col(Notification.id), col(Notification.next_attempt_at)).where(
                col(Notification.id).in_(list(notification_ids)),
                col(Notification.status) == NotificationStatus.PENDING.value,
            )
        ).all()
    moments = [moment for _, moment in rows if moment is not None]
    return {int(row_id) for row_id, _ in rows}, min(moments, default=None)
