"""Knowledge growth, as the programme measures it: a pupil's final diagnostic minus their entry
diagnostic in a subject, in percentage points ("білімнің өсуін талдау"), and its means per group,
tutor, school or district for the overview.

A diagnostic is a work set as one (`HomeworkKind.DIAGNOSTIC`, labelled entry or final) and graded in
points. A pupil's entry is their first graded entry diagnostic of the subject in the period, their
final the last graded final one; growth exists once both do. A mean is over the pupil-subjects that
have both, so a group half-way through the year shows the growth of those already tested twice and
says how many they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from sqlmodel import Session, col, select

from assessment.works import GradedWork, graded_works
from models.enums import HomeworkKind, Role, WorkLabel
from models.people import Membership
from models.school import TutoringGroup


@dataclass(frozen=True)
class PupilGrowth:
    """One pupil in one group (one subject): entry and final diagnostic, in per cent."""

    pupil_id: int
    group_id: int
    subject: str
    entry: float | None
    final: float | None

    @property
    def growth(self) -> float | None:
        if self.entry is None or self.final is None:
            return None
        return round(self.final - self.entry, 1)


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
    """Every pupil-subject of these pupils with a graded diagnostic due in [since, until)."""
    diagnostics: dict[tuple[int, int], list[GradedWork]] = defaultdict(list)
    for work in graded_works(session, pupil_ids, since, until):
        if work.kind == HomeworkKind.DIAGNOSTIC and work.percent is not None:
            diagnostics[(work.pupil_id, work.group_id)].append(work)
    found = []
    for (pupil_id, group_id), works in sorted(diagnostics.items()):
        by_date = sorted(works, key=lambda w: (w.due_at, w.graded_at))
        entries = [w.percent for w in by_date if w.label == WorkLabel.ENTRY]
        finals = [w.percent for w in by_date if w.label == WorkLabel.FINAL]
        entry, final = (entries[0] if entries else None), (finals[-1] if finals else None)
        found.append(PupilGrowth(pupil_id, group_id, by_date[0].subject, entry, final))
    return found


def mean_growth(rows: Iterable[PupilGrowth]) -> Growth:
    both = [(r.entry, r.final) for r in rows if r.entry is not None and r.final is not None]
    if not both:
        return Growth(0, None, None, None)
    entry, final = fmean(e for e, _ in both), fmean(f for _, f in both)
    return Growth(len(both), round(entry, 1), round(final, 1), round(final - entry, 1))


Key = Callable[[PupilGrowth], int | None]


def _by_pupil(session: Session, rows: list[PupilGrowth]) -> Key:
    return lambda row: row.pupil_id


def _by_group(session: Session, rows: list[PupilGrowth]) -> Key:
    return lambda row: row.group_id


def _by_tutor(session: Session, rows: list[PupilGrowth]) -> Key:
    ids = {row.group_id for row in rows}
    tutors = dict(
        session.exec(
            select(TutoringGroup.id, TutoringGroup.tutor_id).where(col(TutoringGroup.id).in_(ids))
        ).all()
    )
    return lambda row: tutors.get(row.group_id)


def _by_school(session: Session, rows: list[PupilGrowth]) -> Key:
    """The pupil's own school: a virtual class's pupils count each in theirs."""
    pupils = {row.pupil_id for row in rows}
    schools = dict(
        session.exec(
            select(Membership.person_id, Membership.school_id).where(
                col(Membership.person_id).in_(pupils), Membership.role == Role.PUPIL.value
            )
        ).all()
    )
    return lambda row: schools.get(row.pupil_id)


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
    keyed by that one's id (the district: None), over the diagnostics due in [since, until)."""
    rows = pupil_growth(session, pupil_ids, since, until)
    key = KEYS[level](session, rows)
    grouped: dict[int | None, list[PupilGrowth]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return {k: mean_growth(v) for k, v in grouped.items()}
