"""The quarter mark, from the weights of the pupil's programme (data: `Programme.weights`).

Each part is a percentage over the works of the period: formative — the mean score of 1–10 as
tenths; a section's summative (БЖБ / СОр) — all its points over all its maxima; the term's summative
(ТЖБ / СОч) — likewise. The total is the weighted mean of the parts present (a quarter with no term
summative weighs the others up: 25/25 becomes 50/50, as the national rules do for a subject without
one), and the mark follows the bands of `assessment.marks` on the exact total. Defaults: formative
25 %, БЖБ 25 %, ТЖБ 50 % (`models.school.QUARTER_WEIGHTS`, with its source).

The parts are summed by the database in one grouped pass — per pupil, group, span (a quarter) and
part, over each graded work's latest feedback — so a district's export reads every mark of several
quarters in one query, and /grades, the weekly digest and the paper packs read one pupil's the same
way. Only the sums come back; the shares and the weighted total are exact fractions here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlmodel import Session, col

from assessment.marks import mark_of
from models.enums import HomeworkKind, WorkLabel
from models.homework import Feedback, Homework, Submission
from models.school import Programme, TutoringGroup
from monitoring.sql import latest_grades

PARTS = ("formative", "section", "term")
# A span of due moments [since, until); None leaves that side open.
Span = tuple[datetime | None, datetime | None]
READINGS = 4096  # sums read and remembered (`reading`)
SUM_DIGITS = 6  # points are typed with a decimal or two: a sum rounded here is the exact decimal again


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


@dataclass
class PartSums:
    """What one pupil-subject's works of a span add up to, part by part."""

    scores: int = 0  # formative scores, 1–10 each
    scored: int = 0
    points: dict[str, float] = field(default_factory=dict)  # section / term → points (a decimal)
    maxima: dict[str, int] = field(default_factory=dict)  # section / term → their maxima

    def key(self) -> tuple[int, int, tuple[tuple[str, float], ...], tuple[tuple[str, int], ...]]:
        return (
            self.scores,
            self.scored,
            tuple(sorted(self.points.items())),
            tuple(sorted(self.maxima.items())),
        )


def shares_of(
    scores: int, scored: int, points: Mapping[str, float], maxima: Mapping[str, int]
) -> dict[str, Fraction | None]:
    """Each part's percentage (None: no work of that part), exact."""
    shares: dict[str, Fraction | None] = {"formative": Fraction(scores * 10, scored) if scored else None}
    for part in ("section", "term"):
        maximum = maxima.get(part)
        shares[part] = Fraction(str(points[part])) * 100 / maximum if maximum else None
    return shares


Reading = tuple[float | None, float | None, float | None, float | None, int | None]


@lru_cache(maxsize=READINGS)
def reading(sums: tuple[Any, ...], weights: tuple[tuple[str, int], ...]) -> Reading | None:
    """The shown parts, the total and the mark of some sums by some weights (None: no part has a
    work). Many pupil-subjects add up alike (three formative works of 8, 7 and 9): each is read
    once, as the exact arithmetic costs tens of microseconds."""
    scores, scored, points, maxima = sums
    shares = shares_of(scores, scored, dict(points), dict(maxima))
    if all(share is None for share in shares.values()):
        return None
    total = weighted(shares, dict(weights))
    mark = None if total is None else mark_of(total)
    return (
        _shown(shares["formative"], 10),
        _shown(shares["section"]),
        _shown(shares["term"]),
        _shown(total),
        mark,
    )


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


def _part() -> ColumnElement[Any]:
    """Which part a work counts in: formative, a section's or the term's summative (a summative work
    set before works were labelled counts for its section); a diagnostic counts in none."""
    summative = col(Homework.kind) == HomeworkKind.SUMMATIVE.value
    return case(
        (col(Homework.kind) == HomeworkKind.FORMATIVE.value, literal("formative")),
        (and_(summative, col(Homework.label) == WorkLabel.TERM.value), literal("term")),
        (summative, literal("section")),
        else_=None,
    )


def _within(span: Span) -> list[ColumnElement[bool]]:
    since, until = span
    return [
        *([col(Homework.due_at) >= since] if since is not None else []),
        *([col(Homework.due_at) < until] if until is not None else []),
    ]


def _span_index(spans: Sequence[Span]) -> ColumnElement[Any]:
    if len(spans) == 1:
        return literal(0)
    return case(*((and_(*_within(span)), literal(i)) for i, span in enumerate(spans)), else_=None)


def _in_spans(spans: Sequence[Span]) -> ColumnElement[bool]:
    """Due in one of the spans; a single span said as plain bounds, which an index on the deadline
    serves."""
    if len(spans) == 1:
        return and_(true(), *_within(spans[0]))
    return or_(*(and_(true(), *_within(span)) for span in spans))


def part_sums(whose: Sequence[ColumnElement[bool]], spans: Sequence[Span]) -> Any:
    """Per pupil, group, span (its index in `spans`) and part: the formative scores' sum and count,
    and the summative points and maxima, of the latest grade of each graded work due in a span.
    `whose` keeps it to some pupils (conditions on `Submission.pupil_id`, `Homework.group_id` and the
    pupil's `Membership`, as `monitoring.scope.Scope.covers` says them)."""
    counted = and_(col(Feedback.points).is_not(None), col(Feedback.max_points) > 0)
    span, part = _span_index(spans), _part()
    return (
        latest_grades(
            col(Submission.pupil_id),
            col(Homework.group_id),
            col(TutoringGroup.subject),
            span,
            part,
            func.sum(col(Feedback.formative_score)),
            func.count(col(Feedback.formative_score)),
            func.sum(case((counted, col(Feedback.points)), else_=None)),
            func.sum(case((counted, col(Feedback.max_points)), else_=None)),
        )
        .where(part.is_not(None), _in_spans(spans), *whose)
        .group_by(
            col(Submission.pupil_id),
            col(Homework.group_id),
            col(TutoringGroup.subject),
            *([span] if len(spans) > 1 else []),  # one span is a constant: nothing to group by
            part,
        )
    )


def marks_by_span(
    session: Session, whose: Sequence[ColumnElement[bool]], spans: Sequence[Span]
) -> dict[tuple[int, int, int], QuarterMark]:
    """(pupil, group, index of the span) → the mark of the pupil-subject's works due in that span
    (a pupil-subject with no formative or summative work graded has none)."""
    found: dict[tuple[int, int, int], PartSums] = defaultdict(PartSums)
    subjects: dict[int, str] = {}
    for pupil, group, subject, index, part, scores, scored, points, maxima in session.execute(
        part_sums(whose, spans)
    ).all():
        if index is None:
            continue
        sums = found[(int(pupil), int(group), int(index))]
        subjects[int(group)] = subject
        if part == "formative":
            sums.scores, sums.scored = int(scores or 0), int(scored or 0)
        elif maxima:
            sums.points[part] = round(float(points), SUM_DIGITS)
            sums.maxima[part] = int(maxima)
    weights = {
        group: tuple(sorted(given.items()))
        for group, given in programme_weights(session, {group for _, group, _ in found}).items()
    }
    marks = {}
    for (pupil, group, index), sums in sorted(found.items()):
        read = reading(sums.key(), weights.get(group, ()))
        if read is None:
            continue
        formative, section, term, percent, mark = read
        marks[(pupil, group, index)] = QuarterMark(
            pupil, group, subjects[group], formative, section, term, percent, mark
        )
    return marks


def programme_weights(session: Session, group_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Group → the weights of its programme."""
    ids = list(group_ids)
    if not ids:
        return {}
    return {
        group: dict(weights or {})
        for group, weights in session.execute(
            select(col(TutoringGroup.id), col(Programme.weights))
            .join(Programme, col(Programme.id) == col(TutoringGroup.programme_id))
            .where(col(TutoringGroup.id).in_(ids))
        ).all()
    }


def quarter_marks(
    session: Session, pupil_ids: Iterable[int], since: datetime | None = None, until: datetime | None = None
) -> list[QuarterMark]:
    """The mark of every pupil-subject of these pupils with graded formative or summative work due
    in [since, until) — a quarter, a half-year or a year, as the caller bounds it."""
    whose = [col(Submission.pupil_id).in_(set(pupil_ids))]
    return list(marks_by_span(session, whose, [(since, until)]).values())
