"""The weekly digest to parents: one message per family per week, made on the settings' day and time
(DIGEST_WEEKDAY, DIGEST_TIME: Sunday 19:00 local by default) and sent through the outbox.

For each child with consent in force: the week's lessons attended and missed, the work handed in and
the work missing at its deadline, new grades and each subject's quarter mark so far (the quarter of
the school's calendar; none in the summer, `assessment.texts.lines_so_far`), then next week's
lessons and deadlines. The quarter marks alone make no message: they go with a week that has
something to say. A child with nothing from the week and no deadline ahead is left out, and a family
with nothing at all gets no message. A parent who chose the messages without the digest (/digest)
gets none, nor does one with no chat to read it in (not joined, no number, stopped): a weekly row
for them would only fill the class teacher's list of people to reach by phone or paper.

`derive_digests` runs with every derivation (`scheduler.jobs.derive_due`) and makes the week's
digests once: within `grace` after the moment (a scheduler that was down at 19:00 still makes them
when it is back), each under the key `digest:{guardian_id}:{date}:`, and an audit row marks the week
as done, so later runs read one row instead of building them again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from assessment.texts import lines_so_far
from locales import Lines, T, Text, subject_name
from models.clock import to_local, to_utc
from models.consent_rules import with_consent
from models.enums import AttendanceStatus, SubmissionStatus
from models.homework import Homework, Submission
from models.journal import AuditLog
from models.news_rules import wants_digest
from models.people import Guardianship, Person
from models.school import TutoringGroup
from outbox.route import in_a_chat
from outbox.write import enqueue
from record import lines
from record.attendance import Mark, marks
from record.occurrences import Slot, between
from record.work import Grade, State, Work, chunks, grades, groups_of, works
from settings import Settings

WEEK = timedelta(days=7)
DONE = "digest.week_made"  # the audit row that marks a week's digests as made
ATTENDED = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)


@dataclass(frozen=True)
class DigestOptions:
    zone: ZoneInfo
    weekday: int = 6  # Monday is 0
    at: time = time(19, 0)
    grace: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DigestOptions | None:
        """The settings' digest, or None when DIGEST_ENABLED is off."""
        if not settings.digest_enabled:
            return None
        options = cls(zone=settings.zone, weekday=settings.digest_weekday, at=settings.digest_time)
        return replace(options, **overrides)


def latest_moment(now: datetime, options: DigestOptions) -> datetime:
    """The last digest moment at or before `now` (aware UTC)."""
    local = to_local(now, options.zone)
    day = local.date() - timedelta(days=(local.weekday() - options.weekday) % 7)
    moment = to_utc(datetime.combine(day, options.at), options.zone)
    return moment if moment <= now else moment - WEEK


def derive_digests(session: Session, options: DigestOptions, now: datetime) -> int:
    """Make this week's digests if their moment has come and they are not made yet; how many."""
    moment = latest_moment(now, options)
    if now - moment >= options.grace:
        return 0
    day = to_local(moment, options.zone).date()
    done = select(AuditLog.id).where(AuditLog.action == DONE, AuditLog.entity_id == day.toordinal())
    if session.exec(done).first() is not None:
        return 0
    digests = build(session, moment, options.zone)
    written = 0
    for digest in digests:
        row = enqueue(
            session,
            kind="digest",
            text=digest.text,
            idempotency_key=f"digest:{digest.guardian_id}:{day.isoformat()}:",
            person_id=digest.guardian_id,
            about_pupil_id=digest.about_pupil_id,
            due_at=moment,
        )
        written += row is not None
    session.add(
        AuditLog(action=DONE, entity="digest", entity_id=day.toordinal(), detail={"written": written})
    )
    return written


@dataclass(frozen=True)
class Digest:
    guardian_id: int
    text: Text
    about_pupil_id: int | None  # the one child it is about, so withdrawn consent withdraws it


@dataclass
class _Week:
    """What the week holds for the pupils, read in bulk: pupil id → their items."""

    marks: dict[int, list[Mark]]
    handed: dict[int, list[tuple[Submission, Homework, str]]]
    missing: dict[int, list[Work]]
    grades: dict[int, list[Grade]]
    lessons: dict[int, list[Slot]]
    deadlines: dict[int, list[Work]]
    quarter: dict[int, Text]  # the quarter marks so far, a section ready to show


def build(session: Session, moment: datetime, zone: ZoneInfo) -> list[Digest]:
    """The digests of the week that ends at `moment`, one per family with something to say."""
    families = _families(session)
    pupil_ids = with_consent(session, {pupil for children in families.values() for pupil in children})
    names = _names(session, pupil_ids)
    week = _read_week(session, pupil_ids, moment, zone)
    first, last = week_of(moment, zone)
    digests = []
    for guardian_id, children in families.items():
        blocks = [
            (child, block)
            for child in children
            if child in pupil_ids and (block := _child(week, child, names[child], zone)) is not None
        ]
        if not blocks:
            continue
        text = T(
            "digest.family",
            first=first.strftime("%d.%m"),
            last=last.strftime("%d.%m"),
            children=Lines(tuple(block for _, block in blocks)),
        )
        about = blocks[0][0] if len(blocks) == 1 else None
        digests.append(Digest(guardian_id, text, about))
    return digests


def _families(session: Session) -> dict[int, list[int]]:
    """Guardian id → their children's ids, for guardians in a chat who take the digest."""
    families: dict[int, list[int]] = defaultdict(list)
    for guardian_id, pupil_id, news in session.exec(
        select(Guardianship.guardian_id, Guardianship.pupil_id, Person.family_news)
        .join(Person, col(Person.id) == Guardianship.guardian_id)
        .order_by(col(Guardianship.guardian_id), col(Guardianship.pupil_id))
    ).all():
        if wants_digest(news):
            families[guardian_id].append(pupil_id)
    reachable = set()
    for part in chunks(families):
        reachable |= in_a_chat(session, part)
    return {guardian: children for guardian, children in families.items() if guardian in reachable}


def _names(session: Session, pupil_ids: Collection[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for part in chunks(pupil_ids):
        for person in session.exec(select(Person).where(col(Person.id).in_(part))).all():
            found[person.id or 0] = person.full_name
    return found


def _read_week(session: Session, pupil_ids: set[int], moment: datetime, zone: ZoneInfo) -> _Week:
    start, ahead = moment - WEEK, moment + WEEK
    first, last = week_of(moment, zone)
    due_this_week = works(session, pupil_ids, moment, due_from=start, due_until=moment)
    due_next_week = works(session, pupil_ids, moment, due_from=moment, due_until=ahead)
    groups = groups_of(session, pupil_ids)
    slots = between(session, {g for ids in groups.values() for g in ids}, moment, ahead, zone)
    return _Week(
        marks=_by_pupil(marks(session, pupil_ids, first, last)),
        handed=_handed(session, pupil_ids, start, moment),
        missing={p: [w for w in found if w.state == State.MISSING] for p, found in due_this_week.items()},
        grades=_by_pupil(grades(session, pupil_ids, since=start, until=moment)),
        lessons={p: [s for s in slots if s.group_id in ids] for p, ids in groups.items()},
        deadlines={p: [w for w in found if w.state == State.TODO] for p, found in due_next_week.items()},
        quarter={
            pupil: T("digest.quarter", date=last.strftime("%d.%m"), items=Lines(tuple(found)))
            for pupil, found in lines_so_far(session, list(pupil_ids), moment, zone).items()
        },
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


def _child(week: _Week, pupil_id: int, name: str, zone: ZoneInfo) -> Text | None:
    """One child's part of the digest, or None when the week holds nothing for them."""
    marked = week.marks.get(pupil_id, [])
    handed = week.handed.get(pupil_id, [])
    missing = week.missing.get(pupil_id, [])
    graded = week.grades.get(pupil_id, [])
    deadlines = week.deadlines.get(pupil_id, [])
    if not (marked or handed or missing or graded or deadlines):
        return None
    sections: list[Text] = []
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
        sections.append(T("digest.next_lessons", items=Lines(shown)))
    if deadlines:
        sections.append(
            T("digest.deadlines", items=Lines(tuple(lines.work(item, zone) for item in deadlines)))
        )
    return T("digest.child", pupil=name, sections=Lines(tuple(sections)))


def _handed_line(item: tuple[Submission, Homework, str], zone: ZoneInfo) -> Text:
    submission, homework, subject = item
    key = "digest.handed_item_late" if submission.late else "digest.handed_item"
    when = to_local(submission.submitted_at, zone).strftime("%d.%m")
    return T(key, subject=subject_name(subject), title=homework.title, date=when)


def week_of(moment: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last dates a digest made at `moment` covers (Monday to Sunday by default)."""
    return to_local(moment - WEEK, zone).date() + timedelta(days=1), to_local(moment, zone).date()
