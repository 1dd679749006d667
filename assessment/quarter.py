"""The quarter mark, from the weights of the pupil's programme (data: `Programme.weights`).

Each part is a percentage over the works of the period: formative — the mean score of 1–10 as
tenths; a section's summative (БЖБ / СОр) — all its points over all its maxima; the term's summative
(ТЖБ / СОч) — likewise. The total is the weighted mean of the parts present (a quarter with no term
summative weighs the others up: 25/25 becomes 50/50, as the national rules do for a subject without
one), and the mark follows the bands of `assessment.marks` on the exact total. Defaults: formative
25 %, БЖБ 25 %, ТЖБ 50 % (`models.school.QUARTER_WEIGHTS`, with its source).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlmodel import Session, col, select

from assessment.marks import mark_of
from assessment.works import GradedWork, graded_works
from models.school import Programme, TutoringGroup

PARTS = ("formative", "section", "term")


@dataclass(frozen=True)
class QuarterMark:
    """One pupil's mark in one group (subject) for a period; a part without works is None."""

    pupil_id: int
    group_id: int
    subject: str
    formative: float | None  # the mean score, out of 10
    section: float | None  # per cent
    term: float | None  # per cent
    percent: float | None  # the weighted total
    mark: int | None


def part_shares(works: Iterable[GradedWork]) -> dict[str, Fraction | None]:
    """Each part's percentage over one pupil-subject's works (None: no work of that part)."""
    scores: list[int] = []
    points: dict[str, list[tuple[Fraction, int]]] = defaultdict(list)
    for work in works:
        part = work.part
        if part == "formative" and work.score is not None:
            scores.append(work.score)
        elif part is not None and work.points is not None and work.max_points:
            points[part].append((Fraction(str(work.points)), work.max_points))
    shares: dict[str, Fraction | None] = {
        "formative": Fraction(sum(scores) * 10, len(scores)) if scores else None
    }
    for part in ("section", "term"):
        got = points.get(part)
        shares[part] = sum((p for p, _ in got), Fraction(0)) * 100 / sum(m for _, m in got) if got else None
    return shares


def weighted(shares: Mapping[str, Fraction | None], weights: Mapping[str, int]) -> Fraction | None:
    """The weighted mean of the parts present, their weights taken in proportion; None when no
    part with a weight has a work."""
    present = {
        part: share for part, share in shares.items() if share is not None and weights.get(part, 0) > 0
    }
    total = sum(weights[part] for part in present)
    if not total:
        return None
    return sum((weights[part] * share for part, share in present.items()), Fraction(0)) / total


def _shown(share: Fraction | None, scale: int = 1) -> float | None:
    return None if share is None else round(float(share) / scale, 1)


def quarter_marks(
    session: Session, pupil_ids: Iterable[int], since: datetime | None = None, until: datetime | None = None
) -> list[QuarterMark]:
    """The mark of every pupil-subject of these pupils with graded formative or summative work due
    in [since, until) — a quarter, a half-year or a year, as the caller bounds it."""
    by_pupil: dict[tuple[int, int], list[GradedWork]] = defaultdict(list)
    for work in graded_works(session, pupil_ids, since, until):
        if work.part is not None:
            by_pupil[(work.pupil_id, work.group_id)].append(work)
    groups = {group for _, group in by_pupil}
    weights = dict(
        session.exec(
            select(TutoringGroup.id, Programme.weights)
            .join(Programme, col(Programme.id) == TutoringGroup.programme_id)
            .where(col(TutoringGroup.id).in_(groups))
        ).all()
    )
    marks = []
    for (pupil_id, group_id), works in sorted(by_pupil.items()):
        shares = part_shares(works)
        total = weighted(shares, weights.get(group_id) or {})
        marks.append(
            QuarterMark(
                pupil_id=pupil_id,
                group_id=group_id,
                subject=works[0].subject,
                formative=_shown(shares["formative"], 10),
                section=_shown(shares["section"]),
                term=_shown(shares["term"]),
                percent=_shown(total),
                mark=None if total is None else mark_of(total),
            )
        )
    return marks
