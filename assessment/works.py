"""Every graded work of some pupils: the latest feedback of each graded submission, with what the
work is (formative, a section's or the term's summative, an entry or final diagnostic), its group
and subject, its deadline and its score as a comparable percentage, as a pupil's chart reads them
(`monitoring.scores`). The quarter mark and growth read the same latest feedback in SQL
(`assessment.quarter`, `assessment.growth`), summed by the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.enums import SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.school import TutoringGroup


@dataclass(frozen=True)
class GradedWork:
    pupil_id: int
    group_id: int
    subject: str
    homework_id: int
    title: str
    kind: str  # `models.enums.HomeworkKind`
    label: str | None  # `models.enums.WorkLabel`
    due_at: datetime  # the work's date in a period
    graded_at: datetime  # its latest feedback's
    score: int | None  # formative, 1–10
    points: float | None
    max_points: int | None
    percent: float | None
    mark: int | None


def percent_of(feedback: Feedback) -> float | None:
    """A comparable score: points over maximum, or the formative score of 1–10 as tenths."""
    if feedback.points is not None and feedback.max_points:
        return round(100.0 * feedback.points / feedback.max_points, 1)
    if feedback.formative_score is not None:
        return float(feedback.formative_score * 10)
    return None


def graded_works(
    session: Session,
    pupil_ids: Iterable[int],
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[GradedWork]:
    """The latest feedback of every graded submission of these pupils whose work is due in
    [since, until) (no bound when None), in the order they were graded."""
    statement = (
        select(Feedback, Submission, Homework, TutoringGroup)
        .where(col(Feedback.submission_id) == col(Submission.id))
        .where(col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id) == col(TutoringGroup.id))
        .where(
            col(Submission.pupil_id).in_(set(pupil_ids)), Submission.status == SubmissionStatus.GRADED.value
        )
        .order_by(col(Feedback.created_at), col(Feedback.id))
    )
    if since is not None:
        statement = statement.where(col(Homework.due_at) >= since)
    if until is not None:
        statement = statement.where(col(Homework.due_at) < until)
    latest: dict[int, GradedWork] = {}
    for feedback, submission, homework, group in session.exec(statement).all():
        latest[feedback.submission_id] = GradedWork(
            pupil_id=submission.pupil_id,
            group_id=group.id or 0,
            subject=group.subject,
            homework_id=homework.id or 0,
            title=homework.title,
            kind=homework.kind,
            label=homework.label,
            due_at=homework.due_at,
            graded_at=feedback.created_at,
            score=feedback.formative_score,
            points=feedback.points,
            max_points=feedback.max_points,
            percent=percent_of(feedback),
            mark=feedback.mark,
        )
    return sorted(latest.values(), key=lambda w: w.graded_at)
