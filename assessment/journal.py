"""The e-journal's rows (Kundelik, BilimClass): one per pupil and graded work — its day, subject,
title, kind (ҚБ / БЖБ / ТЖБ / diagnostic), score as the journal writes it and the 5-point mark — so a
class teacher copies them as they are; the quarter mark per subject is `assessment.quarter`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from assessment.texts import work_label
from assessment.works import GradedWork, graded_works
from locales import Text


@dataclass(frozen=True)
class JournalRow:
    pupil_id: int
    on: date  # the work's deadline, a day in the school's time zone
    subject: str
    work: str
    kind: Text
    score: str  # "8/10" (formative), "17/20" (points)
    percent: float | None
    mark: int | None


def score_text(work: GradedWork) -> str:
    if work.points is not None and work.max_points:
        return f"{work.points:g}/{work.max_points}"
    return f"{work.score}/10" if work.score is not None else ""


def journal_rows(
    session: Session,
    pupil_ids: Iterable[int],
    zone: ZoneInfo,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[JournalRow]:
    """Every graded work of these pupils due in [since, until), by pupil, day and subject."""
    rows = [
        JournalRow(
            pupil_id=work.pupil_id,
            on=work.due_at.astimezone(zone).date(),
            subject=work.subject,
            work=work.title,
            kind=work_label(work.kind, work.label),
            score=score_text(work),
            percent=work.percent,
            mark=work.mark,
        )
        for work in graded_works(session, pupil_ids, since, until)
    ]
    return sorted(rows, key=lambda r: (r.pupil_id, r.on, r.subject, r.work))
