"""Scores made comparable: each reviewed work's latest feedback as a percentage, for the grades table
and a pupil's growth."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.enums import SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.school import TutoringGroup


@dataclass(frozen=True)
class Scored:
    pupil_id: int
    subject: str
    at: datetime
    percent: float | None
    score: int | None
    mark: int | None


def percent_of(feedback: Feedback) -> float | None:
    """A comparable score: points over maximum, or the formative score of 1–10 as tenths."""
    if feedback.points is not None and feedback.max_points:
        return round(100.0 * feedback.points / feedback.max_points, 1)
    if feedback.formative_score is not None:
        return float(feedback.formative_score * 10)
    return None


def scored(session: Session, pupil_ids: Iterable[int]) -> list[Scored]:
    """The latest feedback of every reviewed submission of these pupils, oldest first."""
    rows = session.exec(
        select(Feedback, Submission, TutoringGroup)
        .where(col(Feedback.submission_id) == col(Submission.id))
        .where(col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id) == col(TutoringGroup.id))
        .where(
            col(Submission.pupil_id).in_(set(pupil_ids)), Submission.status == SubmissionStatus.GRADED.value
        )
        .order_by(col(Feedback.created_at), col(Feedback.id))
    ).all()
    latest: dict[int, Scored] = {}
    for feedback, submission, group in rows:
        latest[feedback.submission_id] = Scored(
            submission.pupil_id,
            group.subject,
            feedback.created_at,
            percent_of(feedback),
            feedback.formative_score,
            feedback.mark,
        )
    return sorted(latest.values(), key=lambda s: s.at)
