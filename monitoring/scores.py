"""Scores made comparable: each reviewed work's latest feedback as a percentage, for the grades table
and a pupil's chart (read by `assessment.works`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from assessment.works import graded_works


@dataclass(frozen=True)
class Scored:
    pupil_id: int
    subject: str
    at: datetime
    percent: float | None
    score: int | None
    mark: int | None


def scored(session: Session, pupil_ids: Iterable[int]) -> list[Scored]:
    """The latest feedback of every reviewed submission of these pupils, oldest first."""
    return [
        Scored(w.pupil_id, w.subject, w.graded_at, w.percent, w.score, w.mark)
        for w in graded_works(session, pupil_ids)
    ]
