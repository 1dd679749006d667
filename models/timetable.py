"""The weekly timetable, its one-off changes, and attendance."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class Lesson(SQLModel, table=True):
    """A weekly slot of a tutoring group, in local (school) time."""

    __table_args__ = (UniqueConstraint("group_id", "weekday", "start_time"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group_.id", index=True)
    weekday: int = Field(ge=0, le=6)  # Monday is 0
    start_time: time
    minutes: int = 60
    link: str = Field(default="", max_length=500)
    active: bool = True


class LessonChange(SQLModel, table=True):
    """One occurrence of a lesson cancelled or moved by the coordinator.

    Occurrences cancelled together (a range of dates, say a quarantine week) share a `batch`, so the
    group is told once about all of them, with the coordinator's `reason`."""

    __tablename__ = "lesson_change"
    __table_args__ = (UniqueConstraint("lesson_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    on_date: date
    cancelled: bool = False
    moved_to: datetime | None = None
    link: str | None = Field(default=None, max_length=500)
    changed_by: int | None = Field(default=None, foreign_key="person.id")
    changed_at: datetime = Field(default_factory=utcnow)
    batch: str | None = Field(default=None, max_length=40, index=True)
    reason: str = Field(default="", max_length=200)


class Attendance(SQLModel, table=True):
    # The monitoring reads a scope's pupils' marks over a period: by pupil, then by day, and counts
    # them from the index alone (lesson, status and whether excused ride along). Who needs attention
    # counts each pupil's absences, explained and excused: by pupil, then status, from the index alone.
    __table_args__ = (
        UniqueConstraint("lesson_id", "on_date", "pupil_id"),
        Index("ix_attendance_pupil_day", "pupil_id", "on_date", "lesson_id", "status", "excused"),
        Index(
            "ix_attendance_pupil_status", "pupil_id", "status", "on_date", "lesson_id", "excused", "reason"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id", index=True)
    on_date: date
    pupil_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(max_length=10)
    marked_by: int | None = Field(default=None, foreign_key="person.id")
    marked_at: datetime = Field(default_factory=utcnow)
    # A problem reported by the pupil or a parent (`models.enums.Problem`), before or after the lesson,
    # and whether the tutor or assistant excused it (None: not decided yet).
    reason: str | None = Field(default=None, max_length=20)
    reason_note: str = Field(default="", max_length=500)
    reported_by: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime | None = None
    excused: bool | None = None
    excused_by: int | None = Field(default=None, foreign_key="person.id")
