"""Homework, the pupils' submissions with their stored pages, and the tutor's feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from locales.shorten import headline
from models.clock import utcnow
from models.enums import HomeworkKind

TITLE_CHARS = 40
POINTS_KINDS = (HomeworkKind.SUMMATIVE.value, HomeworkKind.DIAGNOSTIC.value)


class Homework(SQLModel, table=True):
    # The monitoring counts homework by when they fall due, per group: the group rides along in the
    # index, so a period's homework per group are counted from the index alone. Who needs attention
    # counts each pupil's works due from their groups' homework by deadline (`ix_homework_group_due`).
    __table_args__ = (
        Index("ix_homework_due_group", "due_at", "group_id"),
        Index("ix_homework_group_due", "group_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group_.id", index=True)
    tutor_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(max_length=4000)
    attachment_path: str | None = Field(default=None, max_length=300)
    kind: str = Field(default="formative", max_length=10)
    # `models.enums.WorkLabel`: section or term for summative work, entry or final for a diagnostic.
    label: str | None = Field(default=None, max_length=10)
    scored: bool = False
    max_points: int | None = None
    due_at: datetime
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def out_of(self) -> int | None:
        """The maximum points of work graded in points (summative work, diagnostics); None for work
        scored 1–10 or not graded."""
        return self.max_points if self.kind in POINTS_KINDS and self.max_points else None

    @property
    def title(self) -> str:
        """How messages and tables name it: the first line of its text, cut at a word with «…»."""
        return headline(self.text, TITLE_CHARS)


class Submission(SQLModel, table=True):
    # A pupil's work for one homework, looked up for every pupil and homework the monitoring counts;
    # who needs attention reads a pupil's own works handed in from the index alone, status with them.
    __table_args__ = (
        Index("ix_submission_homework_pupil", "homework_id", "pupil_id"),
        Index("ix_submission_pupil_homework", "pupil_id", "homework_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    homework_id: int = Field(foreign_key="homework.id", index=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default="submitted", max_length=10, index=True)
    submitted_at: datetime = Field(default_factory=utcnow)
    late: bool = False
    channel: str = Field(max_length=10)


class SubmissionPage(SQLModel, table=True):
    """A stored page: our own normalised JPEG (EXIF stripped), never a messenger's file id."""

    __tablename__ = "submission_page"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    number: int
    path: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    size: int
    width: int
    height: int
    # The page's perceptual hash (`photos.likeness`), to find a copy of another pupil's page; None
    # for pages stored before it was kept.
    likeness: str | None = Field(default=None, max_length=64)


class Feedback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    tutor_id: int | None = Field(default=None, foreign_key="person.id")
    text: str = Field(default="", max_length=4000)
    points: float | None = None
    max_points: int | None = None
    formative_score: int | None = Field(default=None, ge=1, le=10)
    mark: int | None = Field(default=None, ge=2, le=5)
    redo: bool = False
    # Indexed: whether any grade came after a moment decides if the overview may read knowledge
    # growth from its tally (`monitoring.growth`).
    created_at: datetime = Field(default_factory=utcnow, index=True)
    corrected_at: datetime | None = None  # the tutor changed it; the earlier values are in the audit
