"""Knowledge growth, as the programme measures it ("білімнің өсуін талдау"): the one definition and
the one reading, for the pupil's page (here, per pupil and level) and the dashboard's breakdowns
(`monitoring.growth`, summed per school and group by the database).

The definition: a diagnostic is a work set as one (`HomeworkKind.DIAGNOSTIC`, labelled entry or
final) and graded; its score is its latest grade's points over their maximum, in per cent. A pupil's
entry in a subject (group) is their earliest-due graded entry diagnostic, their final the latest-due
graded final one — a re-sat entry test does not move the starting line, a re-sat final counts as the
last word. Growth is read as known at a moment (`until`: graded before it) over the diagnostics due
from `since` on (None: from the start), so a quarter's overview shows what was known at its end.

The reading: growth = final − entry, in percentage points, and it exists only once both do. A
pupil-subject with one diagnostic, or none, is "not measured" — None, never 0 — and a mean is over
the pupil-subjects that have both, with how many they are (`Growth.pupils`), so a group half-way
through the year shows the growth of those already tested twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlmodel import Session, col

from models.enums import HomeworkKind, WorkLabel
from models.homework import Feedback, Homework, Submission
from models.people import Membership
from models.school import TutoringGroup

ENTRY = WorkLabel.ENTRY.value
FINAL = WorkLabel.FINAL.value


def diagnostic_scores(
    whose: Sequence[ColumnElement[bool]], until: Any | None = None, since: Any | None = None
) -> Select[Any]:
    """Per pupil and group (with the pupil's school and the group's subject): the entry and the
    final diagnostic's score, in %, by the definition above; either may be None. `whose` keeps it to
    some pupils (conditions on `Submission.pupil_id`, `Homework.group_id` and the pupil's
    `Membership`, as `monitoring.scope.Scope.covers` says them)."""
    # Read when called: the monitoring package, on import, loads the pupil page, which reads this one.
    from monitoring.sql import latest_grades, percent

    pupil, group, label = col(Submission.pupil_id), col(Homework.group_id), col(Homework.label)
    # Ranked per pupil membership too: a pupil of two schools has their entry and final in each
    # (as every other figure counts them in both), not in whichever the database met first.
    school = col(Membership.school_id)
    earliest = func.row_number().over(
        partition_by=(school, pupil, group, label), order_by=(col(Homework.due_at), col(Feedback.id))
    )
    latest = func.row_number().over(
        partition_by=(school, pupil, group, label),
        order_by=(col(Homework.due_at).desc(), col(Feedback.id).desc()),
    )
    bounds = [
        *([col(Feedback.created_at) < until] if until is not None else []),
        *([col(Homework.due_at) >= since] if since is not None else []),
    ]
    ranked = (
        latest_grades(
            col(Membership.school_id).label("school_id"),
            group.label("group_id"),
            pupil.label("pupil_id"),
            col(TutoringGroup.subject).label("subject"),
            label.label("label"),
            percent(Feedback).label("score"),
            earliest.label("earliest"),
            latest.label("latest"),
        )
        .where(
            col(Homework.kind) == HomeworkKind.DIAGNOSTIC.value,
            label.in_((ENTRY, FINAL)),
            percent(Feedback).is_not(None),
            *bounds,
            *whose,
        )
        .subquery()
    )
    entry = case((and_(ranked.c.label == ENTRY, ranked.c.earliest == 1), ranked.c.score), else_=None)
    final = case((and_(ranked.c.label == FINAL, ranked.c.latest == 1), ranked.c.score), else_=None)
    return select(
        ranked.c.school_id,
        ranked.c.group_id,
        ranked.c.pupil_id,
        ranked.c.subject,
        func.max(entry).label("entry"),
        func.max(final).label("final"),
    ).group_by(ranked.c.school_id, ranked.c.group_id, ranked.c.pupil_id, ranked.c.subject)


def measured(entry: Any, final: Any) -> ColumnElement[bool]:
    """In SQL: a pupil-subject whose growth exists (both diagnostics)."""
    both: ColumnElement[bool] = and_(entry.is_not(None), final.is_not(None))
    return both


def gain(entry: Any, final: Any) -> ColumnElement[Any]:
    """In SQL: final − entry where both exist, else nothing (not zero: a sum skips it)."""
    return case((measured(entry, final), final - entry), else_=None)


def growth_of(entry: float | None, final: float | None) -> float | None:
    """final − entry, in percentage points, rounded to a tenth; None (not measured) unless both."""
    if entry is None or final is None:
        return None
    return round(final - entry, 1)


def _shown(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class PupilGrowth:
    """One pupil in one group (one subject): entry and final diagnostic, in per cent."""

    pupil_id: int
    group_id: int
    subject: str
    entry: float | None
    final: float | None
    school_id: int | None = None  # the pupil's own

    @property
    def growth(self) -> float | None:
        return growth_of(self.entry, self.final)


@dataclass(frozen=True)
class Growth:
    """The mean growth of `pupils` pupil-subjects with both diagnostics (None: nobody yet)."""

    pupils: int
    entry: float | None
    final: float | None
    growth: float | None


def pupil_growth(
    session: Session, pupil_ids: Iterable[int], since: datetime | None = None, until: datetime | None = None
) -> list[PupilGrowth]:
    """Every pupil-subject of these pupils with a graded diagnostic, read as known at `until`."""
    whose = [col(Submission.pupil_id).in_(set(pupil_ids))]
    rows = session.execute(diagnostic_scores(whose, until, since)).all()
    return sorted(
        (
            PupilGrowth(
                int(r.pupil_id), int(r.group_id), r.subject, _shown(r.entry), _shown(r.final), r.school_id
            )
            for r in rows
        ),
        key=lambda row: (row.pupil_id, row.group_id),
    )


def mean_growth(rows: Iterable[PupilGrowth]) -> Growth:
    both = [(r.entry, r.final) for r in rows if r.growth is not None]
    if not both:
        return Growth(0, None, None, None)
    entry, final = fmean(e for e, _ in both if e is not None), fmean(f for _, f in both if f is not None)
    return Growth(len(both), round(entry, 1), round(final, 1), growth_of(entry, final))


Key = Callable[[PupilGrowth], int | None]


def _by_pupil(session: Session, rows: list[PupilGrowth]) -> Key:
    return lambda row: row.pupil_id


def _by_group(session: Session, rows: list[PupilGrowth]) -> Key:
    return lambda row: row.group_id


def _by_tutor(session: Session, rows: list[PupilGrowth]) -> Key:
    ids = {row.group_id for row in rows}
    tutors: dict[int, int | None] = {
        group: tutor
        for group, tutor in session.execute(
            select(col(TutoringGroup.id), col(TutoringGroup.tutor_id)).where(col(TutoringGroup.id).in_(ids))
        ).all()
    }
    return lambda row: tutors.get(row.group_id)


def _by_school(session: Session, rows: list[PupilGrowth]) -> Key:
    """The pupil's own school: a virtual class's pupils count each in theirs."""
    return lambda row: row.school_id


def _whole(session: Session, rows: list[PupilGrowth]) -> Key:
    return lambda row: None


# What a pupil-subject counts under at each level (the district: everyone given, under None).
KEYS: dict[str, Callable[[Session, list[PupilGrowth]], Key]] = {
    "pupil": _by_pupil,
    "group": _by_group,
    "tutor": _by_tutor,
    "school": _by_school,
    "district": _whole,
}
LEVELS = tuple(KEYS)


def growth(
    session: Session,
    pupil_ids: Iterable[int],
    level: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int | None, Growth]:
    """Mean knowledge growth of these pupils per pupil, group, tutor, school or district (`LEVELS`),
    keyed by that one's id (the district: None), as known at `until` over the diagnostics due from
    `since` on."""
    rows = pupil_growth(session, pupil_ids, since, until)
    key = KEYS[level](session, rows)
    grouped: dict[int | None, list[PupilGrowth]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return {k: mean_growth(v) for k, v in grouped.items()}
