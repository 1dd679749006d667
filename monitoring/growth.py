"""Knowledge growth: what the programme analyses at the end ("білімнің өсуін талдау").

A pupil's growth in a subject is their final diagnostic's score minus their entry diagnostic's, in
percentage points; a group's, a tutor's, a school's and a district's is the mean over their pupils
who sat both. A diagnostic is a work (`Homework`) of kind `diagnostic`, labelled `entry` or `final`
(`models.enums.WorkLabel`, as the assessment scheme labels works: `assessment`): where none have been
set and graded yet, growth is shown as not measured, never as zero.

Growth is read as known at the end of a period: both diagnostics graded by then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import col

from models.enums import HomeworkKind, Role, SubmissionStatus, WorkLabel
from models.homework import Feedback, Homework, Submission
from models.people import Membership
from monitoring.scope import Scope
from monitoring.sql import Rows, latest_feedback, percent, unindexed

ENTRY = WorkLabel.ENTRY.value
FINAL = WorkLabel.FINAL.value


def diagnostics(scope: Scope, until: Any) -> Rows:
    """Per pupil and group (with the pupil's school): the entry and the final diagnostic's score, in
    %, of those graded before `until`; either may be None."""
    score = percent(Feedback)
    return (
        select(
            col(Membership.school_id).label("school_id"),
            col(Homework.group_id).label("group_id"),
            col(Submission.pupil_id).label("pupil_id"),
            func.max(_when(col(Homework.label) == ENTRY, score)).label("entry"),
            func.max(_when(col(Homework.label) == FINAL, score)).label("final"),
        )
        .select_from(Feedback)
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(
            Membership,
            (col(Membership.person_id) == col(Submission.pupil_id))
            & (col(Membership.role) == Role.PUPIL.value),
        )
        .where(
            col(Homework.kind) == HomeworkKind.DIAGNOSTIC.value,
            unindexed(Submission.status) == SubmissionStatus.GRADED.value,
            col(Feedback.created_at) < until,
            latest_feedback(Feedback),
            scope.covers(Submission.pupil_id),
            *scope.in_groups(Homework.group_id),
        )
        .group_by(col(Membership.school_id), col(Homework.group_id), col(Submission.pupil_id))
    )


def _when(condition: ColumnElement[bool], value: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((condition, value), else_=None)


def growth_by_group(scope: Scope, until: Any) -> Rows:
    """Per school and group: the sum of the pupils' growth and how many pupils sat both diagnostics,
    and how many have sat the entry one so far."""
    per_pupil = diagnostics(scope, until).subquery()
    both = per_pupil.c.entry.is_not(None) & per_pupil.c.final.is_not(None)
    return select(
        per_pupil.c.school_id,
        per_pupil.c.group_id,
        func.sum(case((both, per_pupil.c.final - per_pupil.c.entry), else_=0.0)),
        func.sum(case((both, 1), else_=0)),
        func.sum(case((per_pupil.c.entry.is_not(None), 1), else_=0)),
    ).group_by(per_pupil.c.school_id, per_pupil.c.group_id)
