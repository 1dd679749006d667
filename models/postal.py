"""Kazpost collection of paper work, at least once every two weeks per class."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class PostalSchedule(SQLModel, table=True):
    __tablename__ = "postal_schedule"

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="class_.id", unique=True)
    teacher_id: int = Field(foreign_key="person.id")
    anchor: date
    interval_days: int = 14
    point: str = Field(default="", max_length=300)

    def collection_on_or_after(self, day: date) -> date:
        """The first collection day (anchor + k × interval, k ≥ 0) on or after `day`."""
        if day <= self.anchor:
            return self.anchor
        step = max(1, self.interval_days)
        rounds = -(-(day - self.anchor).days // step)
        return self.anchor + timedelta(days=rounds * step)


class PostalRound(SQLModel, table=True):
    __tablename__ = "postal_round"
    __table_args__ = (UniqueConstraint("class_id", "collection_date"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="class_.id", index=True)
    teacher_id: int = Field(foreign_key="person.id")
    collection_date: date
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PostalItem(SQLModel, table=True):
    __tablename__ = "postal_item"
    __table_args__ = (UniqueConstraint("round_id", "pupil_id", "homework_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="postal_round.id", index=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    homework_id: int | None = Field(default=None, foreign_key="homework.id")
    status: str = Field(default="pending", max_length=10)
    carried_from_id: int | None = Field(default=None, foreign_key="postal_item.id")
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    marked_at: datetime | None = None
