"""Knowledge growth for the dashboard: what the programme analyses at the end ("білімнің өсуін
талдау"), summed per school and group by the database for the overview's breakdowns.

What counts as a pupil's entry and final diagnostic, and what growth is (final − entry, "not
measured" — never 0 — until both are there), is `assessment.growth`'s; here it is only kept to a
scope and read as known at the end of a period (both diagnostics graded by then).

A scope of whole schools reads each pupil's entry and final from their tally (`GrowthTally`, kept by
triggers as known now) when no grade came at or after the period's end, which holds for every period
not yet over; else, and for a narrower scope, every diagnostic's latest grade is ranked as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from assessment.growth import diagnostic_scores, gain, measured
from models.enums import Role
from models.homework import Feedback, Homework, Submission
from models.people import Membership
from models.tally import GrowthTally
from monitoring import tally
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


def growth_tallied(scope: Scope) -> Rows:
    """`growth_by_group` as known now, from the pupils' tallied diagnostics: a row per pupil and
    group, with the pupil's school (once per school, as `diagnostic_scores` groups them), instead of
    ranking every diagnostic's latest grade."""
    schools = (
        select(col(Membership.person_id).label("pupil_id"), col(Membership.school_id).label("school_id"))
        .where(col(Membership.role) == Role.PUPIL.value, scope.covers(Membership.person_id))
        .distinct()
        .subquery()
    )
    entry, final = col(GrowthTally.entry), col(GrowthTally.final)
    keys = [schools.c.school_id, col(GrowthTally.group_id)]
    return (
        select(
            *keys,
            func.sum(gain(entry, final)),
            func.sum(case((measured(entry, final), 1), else_=0)),
            func.sum(case((entry.is_not(None), 1), else_=0)),
        )
        .select_from(GrowthTally)
        .join(schools, schools.c.pupil_id == col(GrowthTally.pupil_id))
        .group_by(*keys)
    )


def growth_rows(session: Session, scope: Scope, until: Any) -> Rows:
    """Knowledge growth per school and group as known at `until`: from the tally when `scope` is
    tallied and nothing was graded since `until` (so the tally, as known now, is as known then)."""
    if tally.tallied(scope):
        since = select(col(Feedback.id)).where(col(Feedback.created_at) >= until).limit(1)
        if session.execute(since).first() is None:
            return growth_tallied(scope)
    return growth_by_group(scope, until)
