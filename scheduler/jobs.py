"""What the scheduler derives from our own tables: outbox rows, nothing else.

`derive_due(session, window_start, window_end)` writes every notification whose send time falls in
the window, with idempotency keys made of ids and dates, so it can run again and again (every minute,
after a restart, after a timetable re-import) and never writes a row twice:

* lesson reminders `lesson:{lesson_id}:{date}:{offset}:{person_id}:` 60 and 10 minutes before each
  occurrence, to each consenting pupil of the group (with the link) and to the tutor and assistant
  (with the group list). They are urgent: they concern a lesson the person attends at that hour,
  so quiet hours do not hold them back.
* a moved or cancelled occurrence (`LessonChange`) withdraws the occurrence's pending reminders and
  tells the group — its pupils, tutor and assistant — once per version of the change
  (`lesson-change:{change_id}:{version}:{person_id}:`), and the parents of its pupils with consent,
  one message each naming their children (`lesson-change-family:{change_id}:{version}:{guardian_id}:`);
  a moved one gets reminders of its own (`lesson:{lesson_id}:{date}:m{version}:{offset}:{person_id}:`).
* an attendance prompt to the tutor when an occurrence has ended
  (`attendance-prompt:{lesson_id}:{date}:{tutor_id}:`), pointing at /attendance.
* homework reminders `homework:{homework_id}:{pupil_id}:{offset}:` 24 h and 2 h before the deadline
  to pupils who have not submitted (one that falls in quiet hours is brought forward to just before
  they start, so it still comes before the deadline); at the deadline, once it has passed, a notice to
  the guardians of each pupil who has not submitted (`homework:{homework_id}:{pupil_id}:due:{guardian_id}:`)
  and the list to the tutor. A handler cancels `homework_key_prefix(homework, pupil)` on submission.
* Kazpost rounds (`scheduler.postal`), when the options carry postal settings.
* the weekly digest to parents (`scheduler.digest`), when the options carry its settings.

Every message goes through `enqueue`, so the consent gate applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlmodel import Session, col, select

from locales import N, T, Text, subject_name
from locales.collation import Names
from models.clock import to_utc, utcnow
from models.consent_rules import has_consent, with_consent
from models.homework import Homework, Submission
from models.outbox import Notification
from models.people import Guardianship, Person
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from models.timetable import Lesson, LessonChange
from outbox.write import cancel, enqueue, homework_key_prefix, lesson_key_prefix
from scheduler.digest import DigestOptions, derive_digests
from scheduler.postal import PostalOptions, derive_rounds
from settings import Settings


@dataclass(frozen=True)
class DeriveOptions:
    """The school's time zone and quiet hours come from the settings (`from_settings`); the offsets
    are the programme's."""

    zone: ZoneInfo
    quiet: tuple[time, time]
    postal: PostalOptions | None = None  # Kazpost rounds are opened too when set
    digest: DigestOptions | None = None  # the weekly digest is made too when set
    lesson_offsets: Sequence[timedelta] = (timedelta(minutes=60), timedelta(minutes=10))
    homework_offsets: Sequence[timedelta] = (timedelta(hours=24), timedelta(hours=2))
    change_horizon: timedelta = timedelta(days=14)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DeriveOptions:
        options = cls(
            zone=settings.zone,
            quiet=(settings.quiet_hours_start, settings.quiet_hours_end),
            postal=PostalOptions.from_settings(settings),
            digest=DigestOptions.from_settings(settings),
        )
        return replace(options, **overrides)


def derive_due(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    *,
    options: DeriveOptions,
    now: datetime | None = None,
) -> int:
    """Write the notifications due in [window_start, window_end); returns how many were offered
    (rows already there count too: they collapse)."""
    moment = now or utcnow()
    written = _lesson_changes(session, moment, options)
    written += _lesson_reminders(session, window_start, window_end, moment, options)
    written += _attendance_prompts(session, window_start, window_end, moment, options)
    written += _homework(session, window_start, window_end, moment, options)
    if options.postal is not None:
        written += derive_rounds(session, options.postal, moment)
    if options.digest is not None:
        written += derive_digests(session, options.digest, moment)
    return written


# -- lessons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Occurrence:
    lesson: Lesson
    group: TutoringGroup
    on_date: date
    start: datetime
    link: str
    key_part: str  # "{date}" or "{date}:m{version}"


def _version(change: LessonChange) -> int:
    return int(change.changed_at.timestamp())


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _lesson_start(lesson: Lesson, on_date: date, zone: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(on_date, lesson.start_time), zone)


def _starting_between(start: datetime, end: datetime, zone: ZoneInfo) -> ColumnElement[bool]:
    """Weekly slots whose (weekday, local start time) falls in [start, end): a large timetable is
    read a window at a time."""
    local_start, local_end = _local(start, zone), _local(end, zone)
    slots: list[ColumnElement[bool]] = []
    day = local_start.date()
    while day <= local_end.date():
        begins = max(local_start, datetime.combine(day, time(0), zone))
        part = [col(Lesson.weekday) == day.weekday(), col(Lesson.start_time) >= begins.time()]
        if local_end.date() == day:
            part.append(col(Lesson.start_time) < local_end.time())
        slots.append(and_(*part))
        day += timedelta(days=1)
    return or_(*slots) if slots else false()


def _occurrences(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[_Occurrence]:
    """Lesson occurrences starting in [start, end), the timetable's changes applied."""
    rows = session.exec(
        select(Lesson, TutoringGroup)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(col(Lesson.active).is_(True), _starting_between(start, end, zone))
    ).all()
    first, last = _local(start, zone).date() - timedelta(days=1), _local(end, zone).date() + timedelta(days=1)
    changes = {
        (c.lesson_id, c.on_date): c
        for c in session.exec(
            select(LessonChange).where(col(LessonChange.on_date) >= first, col(LessonChange.on_date) <= last)
        ).all()
    }
    for lesson, group in rows:
        day = first
        while day <= last:
            if day.weekday() == lesson.weekday:
                change = changes.get((lesson.id or 0, day))
                begins = _lesson_start(lesson, day, zone)
                moved_or_off = change is not None and (change.cancelled or change.moved_to is not None)
                if not moved_or_off and start <= begins < end:
                    link = (change.link if change and change.link else None) or lesson.link
                    yield _Occurrence(lesson, group, day, begins, link, day.isoformat())
            day += timedelta(days=1)
    moved = session.exec(
        select(LessonChange, Lesson, TutoringGroup)
        .join(Lesson, col(Lesson.id) == LessonChange.lesson_id)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(
            col(LessonChange.cancelled).is_(False),
            col(LessonChange.moved_to) >= start,
            col(LessonChange.moved_to) < end,
        )
    ).all()
    for change, lesson, group in moved:
        if change.moved_to is None:
            continue  # the query asks for moved lessons only
        link = change.link or lesson.link
        part = f"{change.on_date.isoformat()}:m{_version(change)}"
        yield _Occurrence(lesson, group, change.on_date, change.moved_to, link, part)


def _pupils(session: Session, group_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(GroupMember, col(GroupMember.pupil_id) == Person.id)
            .where(GroupMember.group_id == group_id)
            .order_by(col(Person.full_name), col(Person.id))
        ).all()
    )


def _staff(group: TutoringGroup) -> list[int]:
    return [p for p in dict.fromkeys((group.tutor_id, group.assistant_id)) if p is not None]


def _lesson_reminders(
    session: Session, window_start: datetime, window_end: datetime, now: datetime, opts: DeriveOptions
) -> int:
    longest = max(opts.lesson_offsets, default=timedelta(0))
    shortest = min(opts.lesson_offsets, default=timedelta(0))
    due_now = [
        (occ, [o for o in opts.lesson_offsets if window_start <= occ.start - o < window_end])
        for occ in _occurrences(session, window_start + shortest, window_end + longest, opts.zone)
        if occ.start > now
    ]
    due_now = [(occ, offsets) for occ, offsets in due_now if offsets]
    pupils_of = _consenting_pupils(session, {occ.group.id for occ, _ in due_now if occ.group.id is not None})
    offers: list[_Offer] = []
    for occ, offsets in due_now:
        lesson_id = stored_id(occ.lesson)
        local = _local(occ.start, opts.zone)
        pupils = pupils_of.get(stored_id(occ.group), [])
        common: dict[str, object] = {
            "subject": subject_name(occ.group.subject),
            "time": local.strftime("%H:%M"),
            "group": occ.group.code,
        }
        for offset in offsets:
            minutes = int(offset.total_seconds() // 60)
            due = occ.start - offset
            for pupil in pupils:
                offers.append(
                    _Offer(
                        pupil.id,
                        "lesson.reminder",
                        T("notify.lesson.reminder", link=occ.link, **common),
                        f"lesson:{lesson_id}:{occ.key_part}:{minutes}:{pupil.id}:",
                        due,
                    )
                )
            names = Names(tuple(p.full_name for p in pupils))
            for staff_id in _staff(occ.group):
                text = N(
                    "notify.lesson.reminder_tutor",
                    "count",
                    link=occ.link,
                    pupils=names,
                    count=len(pupils),
                    **common,
                )
                key = f"lesson:{lesson_id}:{occ.key_part}:{minutes}:{staff_id}:"
                offers.append(_Offer(staff_id, "lesson.reminder.staff", text, key, due))
    return _offer_all(session, offers)


@dataclass(frozen=True)
class _Offer:
    person_id: int | None
    kind: str
    text: Text
    key: str
    due: datetime
    urgent: bool = True


KEY_CHUNK = 500


def _offer_all(session: Session, offers: list[_Offer]) -> int:
    """Enqueue the offers whose key is not in the outbox yet (looked up a chunk at a time, so a
    re-derivation after a restart reads instead of writing); those already there count as offered."""
    written = 0
    for start in range(0, len(offers), KEY_CHUNK):
        chunk = offers[start : start + KEY_CHUNK]
        known = set(
            session.exec(
                select(Notification.idempotency_key).where(
                    col(Notification.idempotency_key).in_([o.key for o in chunk])
                )
            ).all()
        )
        for offer in chunk:
            if offer.key in known:
                written += 1
                continue
            written += _offer(
                session, offer.person_id, offer.kind, offer.text, offer.key, offer.due, urgent=offer.urgent
            )
    return written


def _consenting_pupils(session: Session, group_ids: set[int]) -> dict[int, list[Person]]:
    """Each group's pupils with current consent (`models.consent_rules.has_consent`), by name."""
    members: dict[int, list[Person]] = {}
    ids = sorted(group_ids)
    for start in range(0, len(ids), KEY_CHUNK):
        rows = session.exec(
            select(GroupMember.group_id, Person)
            .join(Person, col(Person.id) == GroupMember.pupil_id)
            .where(col(GroupMember.group_id).in_(ids[start : start + KEY_CHUNK]))
            .order_by(col(Person.full_name), col(Person.id))
        ).all()
        for group_id, pupil in rows:
            members.setdefault(group_id, []).append(pupil)
    consenting = with_consent(session, [p.id for pupils in members.values() for p in pupils if p.id])
    return {group_id: [p for p in pupils if p.id in consenting] for group_id, pupils in members.items()}


def _attendance_prompts(
    session: Session, window_start: datetime, window_end: datetime, now: datetime, opts: DeriveOptions
) -> int:
    """Ask the tutor to mark attendance once an occurrence with someone to mark has ended (within the
    window)."""
    longest = session.exec(select(func.max(Lesson.minutes))).one() or 0
    offers: list[_Offer] = []
    ended = [
        occ
        for occ in _occurrences(session, window_start - timedelta(minutes=longest), window_end, opts.zone)
        if window_start <= occ.start + timedelta(minutes=occ.lesson.minutes) < window_end
        and occ.start + timedelta(minutes=occ.lesson.minutes) <= now
        and occ.group.tutor_id is not None
    ]
    pupils_of = _consenting_pupils(session, {stored_id(occ.group) for occ in ended})
    for occ in ended:
        if not pupils_of.get(stored_id(occ.group)):
            continue  # nobody to mark: no pupil of the group has a parent's consent
        ends = occ.start + timedelta(minutes=occ.lesson.minutes)
        text = T(
            "attendance.prompt",
            group=occ.group.code,
            subject=subject_name(occ.group.subject),
            time=_local(occ.start, opts.zone).strftime("%H:%M"),
        )
        key = f"attendance-prompt:{occ.lesson.id}:{occ.key_part}:{occ.group.tutor_id}:"
        offers.append(_Offer(occ.group.tutor_id, "attendance.prompt", text, key, ends))
    return _offer_all(session, offers)


def _lesson_changes(session: Session, now: datetime, opts: DeriveOptions) -> int:
    """Withdraw reminders of changed occurrences and tell the group, once per version of a change."""
    today = _local(now, opts.zone).date()
    horizon = _local(now + opts.change_horizon, opts.zone).date()
    rows = session.exec(
        select(LessonChange, Lesson, TutoringGroup)
        .join(Lesson, col(Lesson.id) == LessonChange.lesson_id)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(col(LessonChange.on_date) >= today - timedelta(days=1), col(LessonChange.on_date) <= horizon)
    ).all()
    written = 0
    for change, lesson, group in rows:
        if not change.cancelled and change.moved_to is None:
            continue  # only the link changed: reminders not yet written carry the new one
        prefix = lesson_key_prefix(stored_id(lesson), change.on_date)
        version = _version(change)
        keep = None if change.cancelled else f"{prefix}m{version}:"
        cancel(session, prefix, keep_prefix=keep)
        original = _lesson_start(lesson, change.on_date, opts.zone)
        if original <= now and (change.cancelled or (change.moved_to or now) <= now):
            continue  # all in the past: nothing to tell
        local = _local(original, opts.zone)
        params: dict[str, object] = {
            "subject": subject_name(group.subject),
            "date": local.strftime("%d.%m"),
            "time": local.strftime("%H:%M"),
        }
        if change.cancelled or change.moved_to is None:
            text = T("notify.lesson.cancelled", **params)
        else:
            moved = _local(change.moved_to, opts.zone)
            text = T(
                "notify.lesson.moved",
                new_date=moved.strftime("%d.%m"),
                new_time=moved.strftime("%H:%M"),
                link=change.link or lesson.link,
                **params,
            )
        pupils = _pupils(session, stored_id(group))
        for person_id in [p.id for p in pupils] + _staff(group):
            written += _offer(
                session,
                person_id,
                "lesson.changed",
                text,
                f"lesson-change:{change.id}:{version}:{person_id}:",
                now,
                urgent=True,
            )
        written += _tell_families(session, change, version, pupils, text, now)
    return written


def _tell_families(
    session: Session, change: LessonChange, version: int, pupils: list[Person], text: Text, now: datetime
) -> int:
    """The change to the parents of the group's pupils with consent: one message per parent, naming
    their children in the group. Not urgent: a parent hears it at once, or when quiet hours end."""
    consenting = with_consent(session, [p.id for p in pupils if p.id is not None])
    children: dict[int, list[Person]] = {}
    for guardian_id, pupil_id in session.exec(
        select(Guardianship.guardian_id, Guardianship.pupil_id).where(
            col(Guardianship.pupil_id).in_(consenting)
        )
    ).all():
        children.setdefault(guardian_id, []).extend(p for p in pupils if p.id == pupil_id)
    written = 0
    for guardian_id, theirs in children.items():
        names = ", ".join(p.full_name for p in theirs)
        written += _offer(
            session,
            guardian_id,
            "lesson.changed.family",
            T("notify.lesson.changed_family", pupils=names, change=text),
            f"lesson-change-family:{change.id}:{version}:{guardian_id}:",
            now,
            about_pupil_id=theirs[0].id,
        )
    return written


# -- homework ------------------------------------------------------------------------------------


def _not_submitted(session: Session, homework: Homework) -> list[Person]:
    submitted = select(Submission.pupil_id).where(
        Submission.homework_id == homework.id, Submission.status != "replaced"
    )
    return [p for p in _pupils(session, homework.group_id) if p.id not in set(session.exec(submitted).all())]


def _before_quiet(due: datetime, opts: DeriveOptions) -> datetime:
    """A reminder that would fall in quiet hours moves to one minute before they begin."""
    start, end = opts.quiet
    local = _local(due, opts.zone)
    clock = local.time()
    quiet = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if start == end or not quiet:
        return due
    begins = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if begins > local:
        begins -= timedelta(days=1)
    return (begins - timedelta(minutes=1)).astimezone(due.tzinfo)


def _homework(
    session: Session, window_start: datetime, window_end: datetime, now: datetime, opts: DeriveOptions
) -> int:
    longest = max(opts.homework_offsets, default=timedelta(0))
    rows = session.exec(
        select(Homework, TutoringGroup)
        .join(TutoringGroup, col(TutoringGroup.id) == Homework.group_id)
        .where(
            col(Homework.due_at) >= window_start,
            col(Homework.due_at) < window_end + longest + timedelta(days=1),
        )
    ).all()
    written = 0
    for homework, group in rows:
        homework_id = stored_id(homework)
        due_local = _local(homework.due_at, opts.zone)
        params: dict[str, object] = {
            "subject": subject_name(group.subject),
            "due": due_local.strftime("%d.%m %H:%M"),
        }
        reminders = [
            (o, _before_quiet(homework.due_at - o, opts))
            for o in opts.homework_offsets
            if homework.due_at - o > now - timedelta(days=1)
        ]
        reminders = [
            (o, at) for o, at in reminders if window_start <= at < window_end and at < homework.due_at
        ]
        deadline = window_start <= homework.due_at < window_end and homework.due_at <= now
        if not reminders and not deadline:
            continue
        missing = _not_submitted(session, homework)
        for offset, at in reminders:
            minutes = int(offset.total_seconds() // 60)
            for pupil in missing:
                pupil_id = stored_id(pupil)
                written += _offer(
                    session,
                    pupil_id,
                    "homework.reminder",
                    T("notify.homework.reminder", **params),
                    f"{homework_key_prefix(homework_id, pupil_id)}{minutes}:",
                    at,
                )
        if deadline and missing:
            written += _deadline(session, homework, group, missing, params, now)
    return written


def _deadline(
    session: Session,
    homework: Homework,
    group: TutoringGroup,
    missing: list[Person],
    params: dict[str, object],
    now: datetime,
) -> int:
    homework_id = stored_id(homework)
    written = 0
    for pupil in missing:
        pupil_id = stored_id(pupil)
        guardians = session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil_id)
        ).all()
        for guardian_id in guardians:
            written += _offer(
                session,
                guardian_id,
                "homework.missed",
                T("notify.homework.missed_guardian", pupil=pupil.full_name, **params),
                f"{homework_key_prefix(homework_id, pupil_id)}due:{guardian_id}:",
                now,
                about_pupil_id=pupil_id,
            )
    consenting = [p for p in missing if has_consent(session, p.id or 0)]
    tutor = homework.tutor_id or group.tutor_id
    if tutor is not None and consenting:
        written += _offer(
            session,
            tutor,
            "homework.missed.staff",
            N(
                "notify.homework.missed_tutor",
                "count",
                group=group.code,
                pupils=Names(tuple(p.full_name for p in consenting)),
                count=len(consenting),
                **params,
            ),
            f"homework-missed:{homework.id}:{tutor}:",
            now,
        )
    return written


def _offer(
    session: Session,
    person_id: int | None,
    kind: str,
    text: Text,
    key: str,
    due: datetime,
    *,
    urgent: bool = False,
    about_pupil_id: int | None = None,
) -> int:
    if person_id is None:
        return 0
    row = enqueue(
        session,
        person_id=person_id,
        kind=kind,
        text=text,
        idempotency_key=key,
        due_at=due,
        urgent=urgent,
        about_pupil_id=about_pupil_id,
    )
    return 0 if row is None else 1
