"""A pupil's homework and what became of it, for many pupils at once.

Each homework of the pupil's groups is in one state: to do (not handed in, the deadline ahead),
missing (not handed in, the deadline passed), returned for redo, under review (handed in, waiting
for the tutor) or graded. A submission the pupil set aside (/replace) does not count; of several,
the latest counts, and of several feedbacks on it (a grade corrected), the latest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from models.enums import SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.school import GroupMember, TutoringGroup

CHUNK = 500  # ids per IN (…) list


class State(StrEnum):
    TODO = "todo"
    MISSING = "missing"
    REDO = "redo"
    REVIEW = "review"
    GRADED = "graded"


# The order a pupil reads them in: what needs doing first, the graded last.
ORDER = (State.MISSING, State.REDO, State.TODO, State.REVIEW, State.GRADED)


@dataclass(frozen=True)
class Work:
    pupil_id: int
    homework: Homework
    subject: str
    state: State
    submission: Submission | None = None
    feedback: Feedback | None = None  # the latest: the redo comment, or the grade


def chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def groups_of(session: Session, pupil_ids: Collection[int]) -> dict[int, list[int]]:
    """Each pupil's tutoring groups."""
    found: dict[int, list[int]] = {}
    for part in chunks(pupil_ids):
        for pupil_id, group_id in session.exec(
            select(GroupMember.pupil_id, GroupMember.group_id).where(col(GroupMember.pupil_id).in_(part))
        ).all():
            found.setdefault(pupil_id, []).append(group_id)
    return found


def works(
    session: Session,
    pupil_ids: Collection[int],
    now: datetime,
    *,
    due_from: datetime | None = None,
    due_until: datetime | None = None,
) -> dict[int, list[Work]]:
    """Each pupil's homework (of the groups they are in now, due within the bounds given), with its
    state at `now`, earliest due first."""
    groups = groups_of(session, pupil_ids)
    group_ids = {group for ids in groups.values() for group in ids}
    homework: list[tuple[Homework, str]] = []
    for part in chunks(group_ids):
        statement = (
            select(Homework, TutoringGroup.subject)
            .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
            .where(col(Homework.group_id).in_(part))
        )
        if due_from is not None:
            statement = statement.where(col(Homework.due_at) >= due_from)
        if due_until is not None:
            statement = statement.where(col(Homework.due_at) < due_until)
        homework += list(session.exec(statement).all())
    homework.sort(key=lambda row: (row[0].due_at, row[0].id or 0))
    handed = latest_submissions(session, pupil_ids, [h.id for h, _ in homework if h.id is not None])
    feedback = latest_feedback(session, [s.id for s in handed.values() if s.id is not None])
    found: dict[int, list[Work]] = {pupil: [] for pupil in pupil_ids}
    for pupil_id, ids in groups.items():
        for item, subject in homework:
            if item.group_id not in ids:
                continue
            submission = handed.get((item.id or 0, pupil_id))
            latest = feedback.get(submission.id or 0) if submission is not None else None
            state = state_of(item, submission, now)
            found[pupil_id].append(Work(pupil_id, item, subject, state, submission, latest))
    return found


def state_of(homework: Homework, submission: Submission | None, now: datetime) -> State:
    if submission is None:
        return State.TODO if homework.due_at > now else State.MISSING
    return {
        SubmissionStatus.GRADED: State.GRADED,
        SubmissionStatus.RETURNED: State.REDO,
    }.get(SubmissionStatus(submission.status), State.REVIEW)


def latest_submissions(
    session: Session, pupil_ids: Collection[int], homework_ids: Collection[int]
) -> dict[tuple[int, int], Submission]:
    """(homework id, pupil id) → the pupil's latest submission not set aside."""
    found: dict[tuple[int, int], Submission] = {}
    for pupils in chunks(pupil_ids):
        for homework in chunks(homework_ids):
            for row in session.exec(
                select(Submission)
                .where(
                    col(Submission.pupil_id).in_(pupils),
                    col(Submission.homework_id).in_(homework),
                    Submission.status != SubmissionStatus.REPLACED,
                )
                .order_by(col(Submission.id))
            ).all():
                found[(row.homework_id, row.pupil_id)] = row  # ordered: the latest wins
    return found


def latest_feedback(session: Session, submission_ids: Collection[int]) -> dict[int, Feedback]:
    """Submission id → its latest feedback."""
    found: dict[int, Feedback] = {}
    for part in chunks(submission_ids):
        for row in session.exec(
            select(Feedback).where(col(Feedback.submission_id).in_(part)).order_by(col(Feedback.id))
        ).all():
            found[row.submission_id] = row
    return found


@dataclass(frozen=True)
class Grade:
    pupil_id: int
    homework: Homework
    subject: str
    submission: Submission
    feedback: Feedback


def grades(
    session: Session,
    pupil_ids: Collection[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Grade]:
    """Graded work of the pupils, newest grade first; with bounds, the grades given within them."""
    found: list[Grade] = []
    for part in chunks(pupil_ids):
        statement: Any = (
            select(Feedback, Submission, Homework, TutoringGroup.subject)
            .join(Submission, col(Submission.id) == Feedback.submission_id)
            .join(Homework, col(Homework.id) == Submission.homework_id)
            .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
            .where(
                col(Submission.pupil_id).in_(part),
                Submission.status == SubmissionStatus.GRADED,
                col(Feedback.redo).is_(False),
            )
            .order_by(col(Feedback.id))
        )
        if since is not None:
            statement = statement.where(col(Feedback.created_at) >= since)
        if until is not None:
            statement = statement.where(col(Feedback.created_at) < until)
        latest: dict[int, Grade] = {}
        for feedback, submission, homework, subject in session.exec(statement).all():
            latest[submission.id or 0] = Grade(submission.pupil_id, homework, subject, submission, feedback)
        found += latest.values()
    return sorted(found, key=lambda grade: (grade.feedback.created_at, grade.feedback.id or 0), reverse=True)
