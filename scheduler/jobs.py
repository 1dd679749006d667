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
* lessons cancelled together (a range of dates, one `batch`) are told once per group, with every
  date and the coordinator's reason (`scheduler.days_off`).
* no occurrence on a day off of the school calendar (`schoolyear`: holidays, school holidays, the
  school's own days off, unless it marked the day as a working day): no reminders, no attendance
  prompt; the group's families and staff are told once, `day_off_notice` before the first lesson a
  run of days off cancels, with every cancelled date and why (`scheduler.days_off`).
* an attendance prompt to the tutor when an occurrence has ended
  (`attendance-prompt:{lesson_id}:{date}:{tutor_id}:`), pointing at /attendance.
* a group with a substitute for the day (`models.substitutes`): the substitute gets the tutor's
  reminders, prompts and lists instead of the group's own tutor, and the pupils' reminders name them.
* homework reminders `homework:{homework_id}:{pupil_id}:{offset}:` 24 h and 2 h before the deadline
  to pupils who have not submitted (one that falls in quiet hours is brought forward to just before
  they start, so it still comes before the deadline); at the deadline, once it has passed, a notice to
  the guardians of each pupil who has not submitted (`homework:{homework_id}:{pupil_id}:due:{guardian_id}:`)
  and the list to the tutor. A handler cancels `homework_key_prefix(homework, pupil)` on submission.
* a family's question left waiting in a substitute tutor's conversation once the substitution is over
  goes on to whoever tutors the group now (`scheduler.substitute_threads`,
  `thread:{thread_id}:handed:{former_id}:{new_id}:staff:` and `…:family:`).
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

from sqlalchemy import func
from sqlmodel import Session, col, select

from locales import N, T, Text, subject_name
from locales.collation import Names
from models.clock import utcnow
from models.consent_rules import has_consent, with_consent
from models.homework import Homework, Submission
from models.people import Guardianship, Person
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from models.substitutes import Substitution, active_between, covering, substitution_on
from models.timetable import Lesson, LessonChange
from outbox.write import cancel, homework_key_prefix, lesson_key_prefix
from scheduler.days_off import days_off, tell_range
from scheduler.digest import DigestOptions, derive_digests
from scheduler.offers import KEY_CHUNK, Offer, group_pupils, group_staff, offer, offer_all
from scheduler.postal import PostalOptions, derive_rounds
from scheduler.slots import lesson_start, local_time, timetabled
from scheduler.substitute_threads import hand_on_waiting
from schoolyear import Calendars
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
    day_off_notice: timedelta = timedelta(days=3)  # families hear of a holiday's cancelled lessons

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
    calendars = Calendars(session)
    written = _lesson_changes(session, moment, options)
    written += days_off(
        session, window_start, window_end, moment, options.day_off_notice, options.zone, calendars
    )
    written += _lesson_reminders(session, window_start, window_end, moment, options, calendars)
    written += _attendance_prompts(session, window_start, window_end, moment, options, calendars)
    written += _homework(session, window_start, window_end, moment, options)
    written += hand_on_waiting(session, moment, options.zone)
    if options.postal is not None:
        written += derive_rounds(session, options.postal, moment, calendars)
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


def _occurrences(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, calendars: Calendars
) -> Iterable[_Occurrence]:
    """Lesson occurrences starting in [start, end), the timetable's changes and days off applied (a
    lesson the coordinator moved onto a day off still takes place: that was their choice)."""
    for slot in timetabled(session, start, end, zone):
        if slot.changed or calendars.day_off(slot.group.school_id, stored_id(slot.group), slot.on_date):
            continue
        link = (slot.change.link if slot.change and slot.change.link else None) or slot.lesson.link
        yield _Occurrence(slot.lesson, slot.group, slot.on_date, slot.start, link, slot.on_date.isoformat())
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


def _substitutes(session: Session, occurrences: list[_Occurrence]) -> dict[int, list[Substitution]]:
    """The substitutions that may cover these occurrences, by group, read at once."""
    if not occurrences:
        return {}
    days = [occ.on_date for occ in occurrences]
    return active_between(session, min(days), max(days))  # a few rows: every group's, not an IN list


def _lesson_reminders(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    opts: DeriveOptions,
    calendars: Calendars,
) -> int:
    longest = max(opts.lesson_offsets, default=timedelta(0))
    shortest = min(opts.lesson_offsets, default=timedelta(0))
    due_now = [
        (occ, [o for o in opts.lesson_offsets if window_start <= occ.start - o < window_end])
        for occ in _occurrences(session, window_start + shortest, window_end + longest, opts.zone, calendars)
        if occ.start > now
    ]
    due_now = [(occ, offsets) for occ, offsets in due_now if offsets]
    pupils_of = _consenting_pupils(session, {occ.group.id for occ, _ in due_now if occ.group.id is not None})
    substitutes = _substitutes(session, [occ for occ, _ in due_now])
    offers: list[Offer] = []
    for occ, offsets in due_now:
        lesson_id = stored_id(occ.lesson)
        local = local_time(occ.start, opts.zone)
        pupils = pupils_of.get(stored_id(occ.group), [])
        substitute = covering(substitutes.get(stored_id(occ.group), []), occ.on_date)
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
                    Offer(
                        pupil.id,
                        "lesson.reminder",
                        _pupil_reminder(session, occ, substitute, common),
                        f"lesson:{lesson_id}:{occ.key_part}:{minutes}:{pupil.id}:",
                        due,
                    )
                )
            names = Names(tuple(p.full_name for p in pupils))
            for staff_id in group_staff(occ.group, substitute):
                text = N(
                    "notify.lesson.reminder_tutor",
                    "count",
                    link=occ.link,
                    pupils=names,
                    count=len(pupils),
                    **common,
                )
                key = f"lesson:{lesson_id}:{occ.key_part}:{minutes}:{staff_id}:"
                offers.append(Offer(staff_id, "lesson.reminder.staff", text, key, due))
    return offer_all(session, offers)


def _pupil_reminder(
    session: Session, occ: _Occurrence, substitute: Substitution | None, common: dict[str, object]
) -> Text:
    """The pupils' reminder; on a substitute's day it names who teaches."""
    if substitute is None:
        return T("notify.lesson.reminder", link=occ.link, **common)
    person = session.get(Person, substitute.substitute_id)
    name = person.full_name if person is not None else ""
    return T("substitute.lesson.reminder", link=occ.link, substitute=name, **common)


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
    session: Session,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    opts: DeriveOptions,
    calendars: Calendars,
) -> int:
    """Ask the acting tutor to mark attendance once an occurrence with someone to mark has ended
    (within the window)."""
    longest = session.exec(select(func.max(Lesson.minutes))).one() or 0
    ended = [
        occ
        for occ in _occurrences(
            session, window_start - timedelta(minutes=longest), window_end, opts.zone, calendars
        )
        if window_start <= occ.start + timedelta(minutes=occ.lesson.minutes) < window_end
        and occ.start + timedelta(minutes=occ.lesson.minutes) <= now
    ]
    pupils_of = _consenting_pupils(session, {stored_id(occ.group) for occ in ended})
    substitutes = _substitutes(session, ended)
    offers: list[Offer] = []
    for occ in ended:
        if not pupils_of.get(stored_id(occ.group)):
            continue  # nobody to mark: no pupil of the group has a parent's consent
        substitute = covering(substitutes.get(stored_id(occ.group), []), occ.on_date)
        tutor = substitute.substitute_id if substitute is not None else occ.group.tutor_id
        if tutor is None:
            continue
        text = T(
            "attendance.prompt",
            group=occ.group.code,
            subject=subject_name(occ.group.subject),
            time=local_time(occ.start, opts.zone).strftime("%H:%M"),
        )
        key = f"attendance-prompt:{occ.lesson.id}:{occ.key_part}:{tutor}:"
        offers.append(
            Offer(tutor, "attendance.prompt", text, key, occ.start + timedelta(minutes=occ.lesson.minutes))
        )
    return offer_all(session, offers)


def _lesson_changes(session: Session, now: datetime, opts: DeriveOptions) -> int:
    """Withdraw reminders of changed occurrences and tell the group, once per version of a change."""
    today = local_time(now, opts.zone).date()
    horizon = local_time(now + opts.change_horizon, opts.zone).date()
    rows = session.exec(
        select(LessonChange, Lesson, TutoringGroup)
        .join(Lesson, col(Lesson.id) == LessonChange.lesson_id)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(col(LessonChange.on_date) >= today - timedelta(days=1), col(LessonChange.on_date) <= horizon)
    ).all()
    written = 0
    batches: dict[tuple[str, int], TutoringGroup] = {}
    for change, lesson, group in rows:
        if not change.cancelled and change.moved_to is None:
            continue  # only the link changed: reminders not yet written carry the new one
        prefix = lesson_key_prefix(stored_id(lesson), change.on_date)
        version = _version(change)
        keep = None if change.cancelled else f"{prefix}m{version}:"
        cancel(session, prefix, keep_prefix=keep)
        original = lesson_start(lesson, change.on_date, opts.zone)
        if original <= now and (change.cancelled or (change.moved_to or now) <= now):
            continue  # all in the past: nothing to tell
        if change.batch and change.cancelled:
            batches[(change.batch, stored_id(group))] = group  # told once for the whole range, below
            continue
        local = local_time(original, opts.zone)
        params: dict[str, object] = {
            "subject": subject_name(group.subject),
            "date": local.strftime("%d.%m"),
            "time": local.strftime("%H:%M"),
        }
        if change.cancelled or change.moved_to is None:
            text = T("notify.lesson.cancelled", **params)
        else:
            moved = local_time(change.moved_to, opts.zone)
            text = T(
                "notify.lesson.moved",
                new_date=moved.strftime("%d.%m"),
                new_time=moved.strftime("%H:%M"),
                link=change.link or lesson.link,
                **params,
            )
        pupils = group_pupils(session, stored_id(group))
        for person_id in [p.id for p in pupils] + group_staff(group):
            written += offer(
                session,
                person_id,
                "lesson.changed",
                text,
                f"lesson-change:{change.id}:{version}:{person_id}:",
                now,
                urgent=True,
            )
        written += _tell_families(session, change, version, pupils, text, now)
    for (batch, _group_id), group in batches.items():
        written += tell_range(session, batch, group, now, opts.zone)
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
        written += offer(
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
    return [
        p for p in group_pupils(session, homework.group_id) if p.id not in set(session.exec(submitted).all())
    ]


def _before_quiet(due: datetime, opts: DeriveOptions) -> datetime:
    """A reminder that would fall in quiet hours moves to one minute before they begin."""
    start, end = opts.quiet
    local = local_time(due, opts.zone)
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
        due_local = local_time(homework.due_at, opts.zone)
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
                written += offer(
                    session,
                    pupil_id,
                    "homework.reminder",
                    T("notify.homework.reminder", **params),
                    f"{homework_key_prefix(homework_id, pupil_id)}{minutes}:",
                    at,
                )
        if deadline and missing:
            written += _deadline(session, homework, group, missing, params, now, due_local.date())
    return written


def _deadline(
    session: Session,
    homework: Homework,
    group: TutoringGroup,
    missing: list[Person],
    params: dict[str, object],
    now: datetime,
    due_day: date,
) -> int:
    homework_id = stored_id(homework)
    written = 0
    for pupil in missing:
        pupil_id = stored_id(pupil)
        guardians = session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil_id)
        ).all()
        for guardian_id in guardians:
            written += offer(
                session,
                guardian_id,
                "homework.missed",
                T("notify.homework.missed_guardian", pupil=pupil.full_name, **params),
                f"{homework_key_prefix(homework_id, pupil_id)}due:{guardian_id}:",
                now,
                about_pupil_id=pupil_id,
            )
    consenting = [p for p in missing if has_consent(session, p.id or 0)]
    substitute = substitution_on(session, stored_id(group), due_day)
    tutor = substitute.substitute_id if substitute is not None else homework.tutor_id or group.tutor_id
    if tutor is not None and consenting:
        written += offer(
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
