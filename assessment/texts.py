"""What a parent or a journal reads of the scheme, as `Text` in the reader's language: a work's kind
(ҚБ, БЖБ, ТЖБ, diagnostics), a quarter's name, and a pupil's quarter mark per subject with its parts.
Every grade line a family reads names its work with `work_label` (`record.lines`); `quarter_texts`
gives the quarter line for a period its caller bounds, `lines_so_far` the lines of the quarter the
pupils are in now (their school's calendar, `assessment.quarters`) — what /grades, the weekly digest
and the paper packs open with, and nothing in the summer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from assessment.quarter import QuarterMark, quarter_marks
from assessment.quarters import marks_so_far
from locales import T, Text, subject_name
from locales.formats import Number
from models.enums import HomeworkKind, WorkLabel

# (kind, label) → the name of such a work; a summative work set before labels counts as a section's.
LABELS: dict[tuple[str, str | None], str] = {
    (HomeworkKind.FORMATIVE.value, None): "work.label.formative",
    (HomeworkKind.SUMMATIVE.value, None): "work.label.section",
    (HomeworkKind.SUMMATIVE.value, WorkLabel.SECTION.value): "work.label.section",
    (HomeworkKind.SUMMATIVE.value, WorkLabel.TERM.value): "work.label.term",
    (HomeworkKind.DIAGNOSTIC.value, WorkLabel.ENTRY.value): "work.label.entry",
    (HomeworkKind.DIAGNOSTIC.value, WorkLabel.FINAL.value): "work.label.final",
}


def work_label(kind: str, label: str | None) -> Text:
    return T(LABELS.get((kind, label), "work.label.formative"))


def _number(value: float | None) -> Number:
    return Number(value)


def quarter_text(mark: QuarterMark) -> Text:
    """One subject's line: the mark, its percentage and each part (— for a part with no work)."""
    subject = subject_name(mark.subject)
    if mark.mark is None:
        return T("quarter.line_none", subject=subject)
    return T(
        "quarter.line",
        subject=subject,
        mark=mark.mark,
        percent=_number(mark.percent),
        formative=_number(mark.formative),
        section=_number(mark.section),
        term=_number(mark.term),
    )


def quarter_texts(
    session: Session, pupil_id: int, since: datetime | None = None, until: datetime | None = None
) -> list[Text]:
    """A pupil's quarter marks, one line a subject, for the period [since, until)."""
    return [quarter_text(mark) for mark in quarter_marks(session, [pupil_id], since, until)]


def quarter_name(number: int) -> Text:
    """«2-тоқсан», «2-я четверть», «Quarter 2»."""
    return T("quarter.name", number=number)


def lines_so_far(
    session: Session, pupil_ids: list[int], now: datetime, zone: ZoneInfo
) -> dict[int, list[Text]]:
    """Each pupil's quarter lines so far, one a subject with a mark; no entry for a pupil in no
    quarter (the summer) or with nothing marked in this one yet."""
    return {
        pupil: [quarter_text(mark) for mark in marks]
        for pupil, marks in marks_so_far(session, pupil_ids, now, zone).items()
    }
