"""A week of a pupil's work as the family reads it: lessons attended and missed, work handed in and
work missing at its deadline, new grades and each subject's quarter mark so far, then the lessons and
deadlines ahead — read in bulk for many pupils, and one child's part of the text.

The weekly digest (`scheduler.digest`, on Sunday evening, for the week that ends then) and the
summary a parent asks for (`handlers.summary`, for the week so far) both read it here, so the two
say the same things the same way. `Wording` names what differs: the heading, and whether the time
ahead is "next week" or "the coming days".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from assessment.texts import lines_so_far
from locales import Lines, T, Text, subject_name
from models.clock import to_local, to_utc
from models.enums import AttendanceStatus, SubmissionStatus
from models.homework import Homework, Submission
from models.people import Person
from models.school import TutoringGroup
from record import lines
from record.attendance import Mark, marks
from record.occurrences import Slot, between
from record.work import Grade, State, Work, chunks, grades, groups_of, works

WEEK = timedelta(days=7)
ATTENDED = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)


@dataclass(frozen=True)
class Wording:
    """The keys that differ between the digest and the summary of the week so far."""

    family: str  # the heading: {first}–{last} and the children's parts
    next_lessons: str
    deadlines: str
    quiet: str | None  # a child with nothing to say: this line, or (None) left out


DIGEST = Wording("digest.family", "digest.next_lessons", "digest.deadlines", None)
SO_FAR = Wording("summary.family", "summary.next_lessons", "summary.deadlines", "summary.quiet")


def week_start(now: datetime, zone: ZoneInfo, weekday: int, at: time) -> datetime:
    """The last digest moment (`weekday` at `at`, local) at or before `now` (aware UTC): where the
    digest's week ends and the next one begins."""
    local = to_local(now, zone)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    moment = to_utc(datetime.combine(day, at), zone)
    return moment if moment <= now else moment - WEEK


def days_of(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last dates the week from `start` to `end` covers (Monday to Sunday by default:
    it starts on the day after a Sunday evening's digest)."""
    last = to_local(end, zone).date()
    return min(to_local(start, zone).date() + timedelta(days=1), last), last


@dataclass
class Week:
    """What the week holds for the pupils, read in bulk: pupil id → their items."""

    marks: dict[int, list[Mark]]
    handed: dict[int, list[tuple[Submission, Homework, str]]]
    missing: dict[int, list[Work]]
    grades: dict[int, list[Grade]]
    lessons: dict[int, list[Slot]]
    deadlines: dict[int, list[Work]]
    quarter: dict[int, Text]  # the quarter marks so far, a section ready to show


def read(session: Session, pupil_ids: set[int], start: datetime, end: datetime, zone: ZoneInfo) -> Week:
    """The week from `start` to `end` for these pupils, and the week after `end`."""
    ahead = end + WEEK
    first, last = days_of(start, end, zone)
    due_this_week = works(session, pupil_ids, end, due_from=start, due_until=end)
    due_next_week = works(session, pupil_ids, end, due_from=end, due_until=ahead)
    groups = groups_of(session, pupil_ids)
    slots = between(session, {g for ids in groups.values() for g in ids}, end, ahead, zone)
    return Week(
        marks=_by_pupil(marks(session, pupil_ids, first, last)),
        handed=_handed(session, pupil_ids, start, end),
        missing={p: [w for w in found if w.state == State.MISSING] for p, found in due_this_week.items()},
        grades=_by_pupil(grades(session, pupil_ids, since=start, until=end)),
        lessons={p: [s for s in slots if s.group_id in ids] for p, ids in groups.items()},
        deadlines={p: [w for w in found if w.state == State.TODO] for p, found in due_next_week.items()},
        quarter={
            pupil: T("digest.quarter", date=last.strftime("%d.%m"), items=Lines(tuple(found)))
            for pupil, found in lines_so_far(session, list(pupil_ids), end, zone).items()
        },
    )


def names(session: Session, pupil_ids: Collection[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for part in chunks(pupil_ids):
        for person in session.exec(select(Person).where(col(Person.id).in_(part))).all():
            found[person.id or 0] = person.full_name
    return found


def family_text(wording: Wording, first: date, last: date, blocks: list[Text]) -> Text:
    return T(
        wording.family,
        first=first.strftime("%d.%m"),
        last=last.strftime("%d.%m"),
        children=Lines(tuple(blocks)),
    )


def _by_pupil(items: list[Any]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for item in items:
        found[item.pupil_id].append(item)
    return found


def _handed(
    session: Session, pupil_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[tuple[Submission, Homework, str]]]:
    """Work handed in within [start, end), each pupil's in the order it came."""
    found: dict[int, list[tuple[Submission, Homework, str]]] = defaultdict(list)
    for part in chunks(pupil_ids):
        for submission, homework, subject in session.exec(
            select(Submission, Homework, TutoringGroup.subject)
            .join(Homework, col(Homework.id) == Submission.homework_id)
            .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
            .where(
                col(Submission.pupil_id).in_(part),
                Submission.status != SubmissionStatus.REPLACED,
                col(Submission.submitted_at) >= start,
                col(Submission.submitted_at) < end,
            )
            .order_by(col(Submission.submitted_at), col(Submission.id))
        ).all():
            found[submission.pupil_id].append((submission, homework, subject))
    return found


def child(week: Week, pupil_id: int, name: str, zone: ZoneInfo, wording: Wording = DIGEST) -> Text | None:
    """One child's part, or None when the week holds nothing for them and the wording leaves such a
    child out (the digest does; the summary says so in a line)."""
    marked = week.marks.get(pupil_id, [])
    handed = week.handed.get(pupil_id, [])
    missing = week.missing.get(pupil_id, [])
    graded = week.grades.get(pupil_id, [])
    deadlines = week.deadlines.get(pupil_id, [])
    sections: list[Text] = []
    if not (marked or handed or missing or graded or deadlines):
        if wording.quiet is None:
            return None
        sections.append(T(wording.quiet))
    if marked:
        missed = [mark for mark in marked if mark.status not in ATTENDED]
        counts = {"attended": len(marked) - len(missed), "missed": len(missed)}
        if missed:
            items = Lines(tuple(lines.mark(mark) for mark in reversed(missed)))
            sections.append(T("digest.lessons_missed", items=items, **counts))
        else:
            sections.append(T("digest.lessons", **counts))
    if handed:
        sections.append(T("digest.handed", items=Lines(tuple(_handed_line(item, zone) for item in handed))))
    if missing:
        sections.append(T("digest.missing", items=Lines(tuple(lines.work(item, zone) for item in missing))))
    if graded:
        sections.append(T("digest.grades", items=Lines(tuple(lines.grade(item, zone) for item in graded))))
    if pupil_id in week.quarter:
        sections.append(week.quarter[pupil_id])
    ahead = week.lessons.get(pupil_id, [])
    if ahead:
        shown = tuple(lines.lesson(slot, zone, link=False) for slot in ahead)
        sections.append(T(wording.next_lessons, items=Lines(shown)))
    if deadlines:
        sections.append(
            T(wording.deadlines, items=Lines(tuple(lines.work(item, zone) for item in deadlines)))
        )
    return T("digest.child", pupil=name, sections=Lines(tuple(sections)))


def _handed_line(item: tuple[Submission, Homework, str], zone: ZoneInfo) -> Text:
    submission, homework, subject = item
    key = "digest.handed_item_late" if submission.late else "digest.handed_item"
    when = to_local(submission.submitted_at, zone).strftime("%d.%m")
    return T(key, subject=subject_name(subject), title=homework.title, date=when)
