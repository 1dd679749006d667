"""An attempt's two writes, begun before its send and its outcome after, written together a round at
a time.

The dispatcher writes, in one transaction, the outcomes of the sends that finished and the start of
the sends that take their places in flight (`write_round`). An attempt is still recorded as begun
before its send, and a send that takes a freed place is begun in the same transaction that stores
the outcome of the send that freed it (or a later one), so at no moment does the store hold more
sends begun and not settled than the in-flight limit: that is what bounds the repeats after a
crash. One transaction instead of two halves the commits, each a wait for the disk on PostgreSQL
and the single writer's turn on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlmodel import Session

from models.outbox import DeliveryAttempt, Notification
from outbox.route import Target
from outbox.settle import Finished, RetryPolicy, record_in

_OUTBOX = Notification.__table__  # type: ignore[attr-defined]
_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]
# A bulk INSERT … RETURNING, not ORM objects: building those was most of the batch's time.
_NEW_ATTEMPTS = insert(_ATTEMPTS).returning(_ATTEMPTS.c.notification_id, _ATTEMPTS.c.id)
# The rows take their new attempt's channel and identity from it: one statement for the round, not
# one set of parameters per row.
_LATEST = (
    select(_ATTEMPTS.c.channel, _ATTEMPTS.c.identity_id)
    .where(_ATTEMPTS.c.notification_id == _OUTBOX.c.id)
    .order_by(_ATTEMPTS.c.id.desc())
    .limit(1)
)
_BEGUN = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("rows", expanding=True)))
    .values(
        attempts=_OUTBOX.c.attempts + 1,
        channel=_LATEST.with_only_columns(_ATTEMPTS.c.channel).scalar_subquery(),
        identity_id=_LATEST.with_only_columns(_ATTEMPTS.c.identity_id).scalar_subquery(),
    )
)


def write_round(
    engine: Engine,
    finished: Sequence[Finished],
    starts: Sequence[tuple[int, Target]],
    policy: RetryPolicy,
    clock: Callable[[], datetime],
) -> tuple[list[bool], list[int]]:
    """Store the outcomes of `finished` (`outbox.settle.record_in`), then record the `starts` as begun,
    in one transaction. Returns whether each finished row is settled, and the begun attempts' ids in
    the order of `starts`."""
    now = clock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        settled = record_in(session, list(finished), policy, now) if finished else []
        begun = begin_in(session, starts, now) if starts else []
    return settled, begun


def begin_in(session: Session, starts: Sequence[tuple[int, Target]], now: datetime) -> list[int]:
    """Record the attempts as begun in the caller's transaction: one INSERT and one UPDATE
    executemany for all of them; their ids in order."""
    if len({notification_id for notification_id, _ in starts}) != len(starts):
        raise ValueError("one attempt at a time per notification")
    connection = session.connection()
    returned = connection.execute(
        _NEW_ATTEMPTS,
        [
            {
                "notification_id": notification_id,
                "channel": target.channel,
                "identity_id": target.identity_id,
                "started_at": now,
            }
            for notification_id, target in starts
        ],
    )
    # Matched back by notification (one attempt each): RETURNING in the rows' own order costs a
    # statement a row on SQLite.
    attempts = {int(notification_id): int(attempt_id) for notification_id, attempt_id in returned}
    connection.execute(_BEGUN, {"rows": [notification_id for notification_id, _ in starts]})
    return [attempts[notification_id] for notification_id, _ in starts]
