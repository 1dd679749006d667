"""The outbox as the store holds it, read when Prometheus scrapes and when readiness is asked: how
many rows wait or are being sent, and how long the row the dispatchers would take next has been due.

Both read only rows that are not finished (pending, sending), through the index the dispatchers
claim by (status, due_at, id), so a scrape costs what one claim costs however many messages have
been sent. Every process reads the same store and so reports the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from models.enums import NotificationStatus
from models.outbox import Notification

QUEUED = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


def depth(connection: Connection) -> dict[str, int]:
    """Rows not yet finished, by status (every status in `QUEUED`, zeros included)."""
    counted = {status: 0 for status in QUEUED}
    statement = (
        select(col(Notification.status), func.count())
        .where(col(Notification.status).in_(QUEUED))
        .group_by(col(Notification.status))
    )
    for status, count in connection.execute(statement):
        counted[str(status)] = int(count)
    return counted


def lag_seconds(connection: Connection, now: datetime) -> float:
    """Seconds the next row to send has been due (0 when nothing is due): a dispatcher that keeps up
    takes a row within a second or two of its time; quiet hours and retries move a row's time on,
    so they are not lag."""
    due_at, next_attempt = col(Notification.due_at), col(Notification.next_attempt_at)
    statement = (
        select(due_at, next_attempt)
        .where(
            col(Notification.status) == NotificationStatus.PENDING.value,
            due_at <= now,
            or_(next_attempt.is_(None), next_attempt <= now),
        )
        .order_by(due_at, col(Notification.id))
        .limit(1)
    )
    row = connection.execute(statement).first()
    if row is None:
        return 0.0
    became_due = max(row[0], row[1] or row[0])
    return max((now - became_due).total_seconds(), 0.0)


def store_up(reached: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily("ustaz_store_up", "Whether this process reaches the store", value=int(reached))


class OutboxCollector(Collector):
    """`ustaz_store_up`, and while the store answers `ustaz_outbox_depth{status}` and
    `ustaz_outbox_lag_seconds`, read at each scrape (in a worker thread: `bots.health`)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.engine.connect() as connection:
                counted, lag = depth(connection), lag_seconds(connection, self.clock())
        except SQLAlchemyError:
            yield store_up(False)
            return
        yield store_up(True)
        rows = GaugeMetricFamily(
            "ustaz_outbox_depth", "Outbox rows not yet finished, by status", labels=["status"]
        )
        for status, count in counted.items():
            rows.add_metric([status], count)
        yield rows
        yield GaugeMetricFamily(
            "ustaz_outbox_lag_seconds", "How long the next outbox row to send has been due", value=lag
        )
