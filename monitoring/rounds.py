"""The Kazpost rounds already opened, as the delivery page lists them: each class's collection in
the chosen period, when it opened, whether it closed, and how many of its items were marked
received or missing (in chat or on the delivery page) and how many wait. The round's own documents,
as sent, are the web layer's to offer (`bots.web.postal_rounds`); this reads the rounds, a page at
a time, for the reader's classes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from models.enums import PostalItemStatus
from models.postal import PostalItem, PostalRound
from models.school import SchoolClass
from monitoring.figures import Reading
from monitoring.paging import Page


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    class_name: str
    collection: date
    opened: date  # the day it opened, in the school's time zone
    closed: bool
    received: int
    missing: int
    waiting: int


def _aware(moment: datetime) -> datetime:
    """SQLite gives back the stored UTC moment without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(status: PostalItemStatus) -> Any:
    return func.coalesce(func.sum(case((col(PostalItem.status) == status.value, 1), else_=0)), 0)


def opened_rounds(session: Session, reading: Reading, *, page: int = 1, size: int = 25) -> Page[OpenedRound]:
    """The rounds of the reader's classes whose collection day falls in the period, newest first."""
    conditions = (
        col(PostalRound.class_id).in_(reading.scope.classes()),
        col(PostalRound.collection_date) >= reading.period.start,
        col(PostalRound.collection_date) <= reading.period.end,
    )
    total = int(session.execute(select(func.count(col(PostalRound.id))).where(*conditions)).scalar_one())
    found: Page[OpenedRound] = Page(number=page, size=size, total=total)
    rows = session.execute(
        select(
            col(PostalRound.id),
            col(SchoolClass.name),
            col(PostalRound.collection_date),
            col(PostalRound.created_at),
            col(PostalRound.closed_at),
            _count(PostalItemStatus.RECEIVED),
            _count(PostalItemStatus.MISSING),
            _count(PostalItemStatus.PENDING),
        )
        .join(SchoolClass, col(SchoolClass.id) == col(PostalRound.class_id))
        .outerjoin(PostalItem, col(PostalItem.round_id) == col(PostalRound.id))
        .where(*conditions)
        .group_by(
            col(PostalRound.id),
            col(SchoolClass.name),
            col(PostalRound.collection_date),
            col(PostalRound.created_at),
            col(PostalRound.closed_at),
        )
        .order_by(col(PostalRound.collection_date).desc(), col(SchoolClass.name), col(PostalRound.id))
        .limit(found.size)
        .offset(found.offset)
    ).all()
    found.items = [
        OpenedRound(
            round_id=row[0],
            class_name=row[1],
            collection=row[2],
            opened=_aware(row[3]).astimezone(reading.zone).date(),
            closed=row[4] is not None,
            received=int(row[5]),
            missing=int(row[6]),
            waiting=int(row[7]),
        )
        for row in rows
    ]
    return found
