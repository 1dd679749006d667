"""How the record reads, one line per item, in the reader's language: a lesson, a homework in its
state, a grade, an attendance mark. The views, the catch-up and the weekly digest show the same
things the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from assessment.texts import work_label
from locales import T, Text, subject_name
from models.clock import to_local
from models.homework import Feedback, Homework
from record.attendance import Mark
from record.occurrences import Slot
from record.work import Grade, State, Work

COMMENT_CHARS = 120  # a tutor's comment in a list is cut here; the pupil has it in full already
WORK_KEYS = {
    State.TODO: "record.work.todo",
    State.MISSING: "record.work.missing",
    State.REDO: "record.work.redo",
    State.REVIEW: "record.work.review",
    State.GRADED: "record.work.graded",
}


def weekday(day: date) -> Text:
    return T(f"record.weekday.{day.weekday()}")


def when(moment: datetime, zone: ZoneInfo) -> dict[str, object]:
    """A moment's weekday, date and time, as the lines show them."""
    local = to_local(moment, zone)
    return {
        "weekday": weekday(local.date()),
        "date": local.strftime("%d.%m"),
        "time": local.strftime("%H:%M"),
    }


def lesson(slot: Slot, zone: ZoneInfo, *, link: bool = True) -> Text:
    """A lesson ahead: cancelled, moved (with the time it had) or as timetabled, with its link."""
    params = {**when(slot.start, zone), "subject": subject_name(slot.subject)}
    if slot.cancelled:
        return T("record.lesson.cancelled", **params)
    shown = T("record.lesson.link", link=slot.link) if link and slot.link else ""
    if slot.moved_from is not None:
        was = to_local(slot.moved_from, zone)
        return T("record.lesson.moved", was=was.strftime("%d.%m %H:%M"), link=shown, **params)
    return T("record.lesson", link=shown, **params)


def _comment(feedback: Feedback | None) -> str:
    text = " ".join((feedback.text if feedback else "").split())
    if not text:
        return "—"
    return text if len(text) <= COMMENT_CHARS else text[: COMMENT_CHARS - 1].rstrip() + "…"


def result(feedback: Feedback, homework: Homework) -> Text:
    """What a grade says: the 5-point mark with the points, the formative score, or neither; a graded
    one names its work (ҚБ, БЖБ, ТЖБ, a diagnostic) in the words of the quarter line, so a family
    reading it sees which part of the quarter mark it counts in, and that a diagnostic counts in none."""
    label = work_label(homework.kind, homework.label)
    if feedback.mark is not None and feedback.points is not None and feedback.max_points:
        return T(
            "record.result.points",
            label=label,
            mark=feedback.mark,
            points=f"{feedback.points:g}",
            max=feedback.max_points,
            percent=round(feedback.points * 100 / feedback.max_points),
        )
    if feedback.formative_score is not None:
        return T("record.result.score", label=label, score=feedback.formative_score)
    return T("record.result.none")


def work(item: Work, zone: ZoneInfo) -> Text:
    """A homework in its state, with its deadline, the late flag, the tutor's comment and score."""
    params: dict[str, object] = {
        "subject": subject_name(item.subject),
        "title": item.homework.title,
        "due": to_local(item.homework.due_at, zone).strftime("%d.%m %H:%M"),
        "comment": _comment(item.feedback),
    }
    if item.state == State.REVIEW and item.submission is not None:
        handed = to_local(item.submission.submitted_at, zone).strftime("%d.%m %H:%M")
        key = "record.work.review_late" if item.submission.late else WORK_KEYS[item.state]
        return T(key, handed=handed, **params)
    if item.state == State.GRADED and item.feedback is not None:
        late = item.submission is not None and item.submission.late
        key = "record.work.graded_late" if late else WORK_KEYS[item.state]
        return T(key, result=result(item.feedback, item.homework), **params)
    return T(WORK_KEYS[item.state], **params)


def grade(item: Grade, zone: ZoneInfo) -> Text:
    """A graded work for a parent: when it was graded, what, the mark and the tutor's comment."""
    return T(
        "record.grade",
        date=to_local(item.feedback.created_at, zone).strftime("%d.%m"),
        subject=subject_name(item.subject),
        title=item.homework.title,
        result=result(item.feedback, item.homework),
        comment=_comment(item.feedback),
    )


EXCUSED = {None: "problems.excused.pending", True: "problems.excused.yes", False: "problems.excused.no"}


def mark(item: Mark) -> Text:
    """One marked lesson; with the reason the family reported and whether it was excused."""
    params = {
        "weekday": weekday(item.on_date),
        "date": item.on_date.strftime("%d.%m"),
        "time": item.start_time.strftime("%H:%M"),
        "subject": subject_name(item.subject),
        "status": T(f"attendance.status.{item.status}"),
    }
    if item.reason is None:
        return T("record.mark", **params)
    return T(
        "record.mark_reason",
        **params,
        reason=T(f"problems.reason.{item.reason}"),
        excused=T(EXCUSED[item.excused]),
    )
