"""Knowledge growth for the dashboard: what the programme analyses at the end ("білімнің өсуін
талдау"), summed per school and group by the database for the overview's breakdowns.

What counts as a pupil's entry and final diagnostic, and what growth is (final − entry, "not
measured" — never 0 — until both are there), is `assessment.growth`'s; here it is only kept to a
scope and read as known at the end of a period (both diagnostics graded by then).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from assessment.growth import diagnostic_scores, gain, measured
from models.homework import Homework, Submission
from monitoring.scope import Scope
from monitoring.sql import Rows


def diagnostics(scope: Scope, until: Any) -> Rows:
    """Per pupil and group in scope (with the pupil's school): the entry and the final diagnostic's
    score, in %, of those graded before `until`; either may be None."""
    return diagnostic_scores([scope.covers(Submission.pupil_id), *scope.in_groups(Homework.group_id)], until)


def growth_by_group(scope: Scope, until: Any) -> Rows:
    """Per school and group: the sum of the pupils' growth and how many pupils sat both diagnostics,
    and how many have sat the entry one so far."""
    per_pupil = diagnostics(scope, until).subquery()
    entry, final = per_pupil.c.entry, per_pupil.c.final
    return select(
        per_pupil.c.school_id,
        per_pupil.c.group_id,
        func.sum(gain(entry, final)),
        func.sum(case((measured(entry, final), 1), else_=0)),
        func.sum(case((entry.is_not(None), 1), else_=0)),
    ).group_by(per_pupil.c.school_id, per_pupil.c.group_id)
