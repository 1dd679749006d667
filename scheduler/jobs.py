"""What the scheduler derives from our own tables: outbox rows, nothing else.

`derive_due(session, window_start, window_end)` writes every notification whose send time falls in
the window, with idempotency keys made of ids and dates, so it can run again and again (every minute,
after a restart, after a timetable re-import) and never writes a row twice:

* lesson reminders `lesson:{lesson_id}:{date}:{offset}:{person_id}:` 60 and 10 minutes before each
  occurrence, to each consenting pupil of the group (with the link) and to the tutor and assistant
  (with the group list). They are urgent: they concern a lesson the person attends at that hour,
  so quiet hours do not hold them back.
* a moved or cancelled occurrence (`LessonChange`) withdraws the occurrence's pending reminders and
  tells the group once per version of the change (`lesson-change:{change_id}:{version}:{person_id}:`);
  a moved one gets reminders of its own (`lesson:{lesson_id}:{date}:m{version}:{offset}:{person_id}:`).
* an attendance prompt to the tutor when an occurrence has ended
  (`attendance-prompt:{lesson_id}:{date}:{tutor_id}:`), pointing at /attendance.
* homework reminders `homework:{homework_id}:{pupil_id}:{offset}:` 24 h and 2 h before the deadline
  to pupils who have not submitted (one that falls in quiet hours is brought forward to just before
  they start, so it still comes before the deadline); at the deadline, once it has passed, a notice to
  the guardians of each pupil who has not submitted (`homework:{homework_id}:{pupil_id}:due:{guardian_id}:`)
  and the list to the tutor. A handler cancels `homework_key_prefix(homework, pupil)` on submission.
* Kazpost rounds (`scheduler.postal`), when the options carry postal settings.

Every message goes through `enqueue`, so the consent gate applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from locales import T, Text, catalogue
from models.clock import to_utc, utcnow
from models.consent_rules import has_consent
from models.homework import Homework, Submission
from models.notify import cancel, enqueue, homework_key_prefix, lesson_key_prefix
from models.people import Guardianship, Person
from models.school import GroupMember, TutoringGroup
from models.settings import Settings
from models.timetable import Lesson, LessonChange
from scheduler.postal import PostalOptions, derive_rounds

ALMATY = ZoneInfo("Asia/Almaty")


@dataclass(frozen=True)
class DeriveOptions:
    lesson_offsets: Sequence[timedelta] = (timedelta(minutes=60), timedelta(minutes=10))
    homework_offsets: Sequence[timedelta] = (timedelta(hours=24), timedelta(hours=2))
    zone: ZoneInfo = ALMATY
    quiet: tuple[time, time] = (time(21, 0), time(8, 0))
    change_horizon: timedelta = timedelta(days=14)
    postal: PostalOptions | None = None  # Kazpost rounds are opened too when set

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> DeriveOptions:
        values: dict[str, object] = {
            "zone": settings.zone,
            "quiet": (settings.quiet_hours_start, settings.quiet_hours_end),
            "postal": PostalOptions.from_settings(settings),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def subject_text(code: str) -> Text | str:
    """A subject's name in the reader's language when the catalogue knows it, else its code."""
    key = f"notify.subject.{code}"
    return Text(key) if key in catalogue("kk") else code


def derive_due(
    session: Session,
    window_start: datetime,
    window_end: datetime,
    *,
    now: datetime | None = None,
    options: DeriveOptions | None = None,
) -> int:
    """Write the notifications due in [window_start, window_end); returns how many were offered
    (rows already there count too: they collapse)."""
    opts = options or DeriveOptions()
    moment = now or utcnow()
    written = _lesson_changes(session, moment, opts)
    written += _lesson_reminders(session, window_start, window_end, moment, opts)
    written += _attendance_prompts(session, window_start, window_end, moment, opts)
    written += _homework(session, window_start, window_end, moment, opts)
    if opts.postal is not None:
        written += derive_rounds(session, moment, opts.postal)
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


def _occurrences(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[_Occurrence]:
    """Lesson occurrences starting in [start, end), the timetable's changes applied."""
    rows = session.exec(
        select(Lesson, TutoringGroup)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(col(Lesson.active).is_(True))
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
        assert change.moved_to is not None
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
    written = 0
    for occ in _occurrences(session, window_start + shortest, window_end + longest, opts.zone):
        if occ.start <= now:
            continue
        offsets = [o for o in opts.lesson_offsets if window_start <= occ.start - o < window_end]
        if not offsets:
            continue
        assert occ.group.id is not None and occ.lesson.id is not None
        local = _local(occ.start, opts.zone)
        pupils = [p for p in _pupils(session, occ.group.id) if has_consent(session, p.id or 0)]
        common: dict[str, object] = {
            "subject": subject_text(occ.group.subject),
            "time": local.strftime("%H:%M"),
            "group": occ.group.code,
        }
        for offset in offsets:
            minutes = int(offset.total_seconds() // 60)
            due = occ.start - offset
            for pupil in pupils:
                written += _offer(
                    session,
                    pupil.id,
                    "lesson.reminder",
                    T("notify.lesson.reminder", link=occ.link, **common),
                    f"lesson:{occ.lesson.id}:{occ.key_part}:{minutes}:{pupil.id}:",
                    due,
                    urgent=True,
                )
            names = ", ".join(p.full_name for p in pupils)
            for staff_id in _staff(occ.group):
                written += _offer(
                    session,
                    staff_id,
                    "lesson.reminder.staff",
                    T(
                        "notify.lesson.reminder_tutor",
                        link=occ.link,
                        pupils=names,
                        count=len(pupils),
                        **common,
                    ),
                    f"lesson:{occ.lesson.id}:{occ.key_part}:{minutes}:{staff_id}:",
                    due,
                    urgent=True,
                )
    return written


def _attendance_prompts(
    session: Session, window_start: datetime, window_end: datetime, now: datetime, opts: DeriveOptions
) -> int:
    """Ask the tutor to mark attendance once an occurrence has ended (within the window)."""
    longest = session.exec(select(func.max(Lesson.minutes))).one() or 0
    written = 0
    for occ in _occurrences(session, window_start - timedelta(minutes=longest), window_end, opts.zone):
        ends = occ.start + timedelta(minutes=occ.lesson.minutes)
        if not window_start <= ends < window_end or ends > now or occ.group.tutor_id is None:
            continue
        written += _offer(
            session,
            occ.group.tutor_id,
            "attendance.prompt",
            T(
                "attendance.prompt",
                group=occ.group.code,
                subject=subject_text(occ.group.subject),
                time=_local(occ.start, opts.zone).strftime("%H:%M"),
            ),
            f"attendance-prompt:{occ.lesson.id}:{occ.key_part}:{occ.group.tutor_id}:",
            ends,
            urgent=True,
        )
    return written


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
        assert lesson.id is not None and group.id is not None and change.id is not None
        if not change.cancelled and change.moved_to is None:
            continue  # only the link changed: reminders not yet written carry the new one
        prefix = lesson_key_prefix(lesson.id, change.on_date)
        version = _version(change)
        keep = None if change.cancelled else f"{prefix}m{version}:"
        cancel(session, prefix, keep_prefix=keep)
        original = _lesson_start(lesson, change.on_date, opts.zone)
        if original <= now and (change.cancelled or (change.moved_to or now) <= now):
            continue  # all in the past: nothing to tell
        local = _local(original, opts.zone)
        params: dict[str, object] = {
            "subject": subject_text(group.subject),
            "date": local.strftime("%d.%m"),
            "time": local.strftime("%H:%M"),
        }
        if change.cancelled:
            text = T("notify.lesson.cancelled", **params)
        else:
            assert change.moved_to is not None
            moved = _local(change.moved_to, opts.zone)
            text = T(
                "notify.lesson.moved",
                new_date=moved.strftime("%d.%m"),
                new_time=moved.strftime("%H:%M"),
                link=change.link or lesson.link,
                **params,
            )
        recipients = [p.id for p in _pupils(session, group.id)] + _staff(group)
        for person_id in recipients:
            written += _offer(
                session,
                person_id,
                "lesson.changed",
                text,
                f"lesson-change:{change.id}:{version}:{person_id}:",
                now,
                urgent=True,
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
        assert homework.id is not None
        due_local = _local(homework.due_at, opts.zone)
        params: dict[str, object] = {
            "subject": subject_text(group.subject),
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
                assert pupil.id is not None
                written += _offer(
                    session,
                    pupil.id,
                    "homework.reminder",
                    T("notify.homework.reminder", **params),
                    f"{homework_key_prefix(homework.id, pupil.id)}{minutes}:",
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
    assert homework.id is not None
    written = 0
    for pupil in missing:
        assert pupil.id is not None
        guardians = session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil.id)
        ).all()
        for guardian_id in guardians:
            written += _offer(
                session,
                guardian_id,
                "homework.missed",
                T("notify.homework.missed_guardian", pupil=pupil.full_name, **params),
                f"{homework_key_prefix(homework.id, pupil.id)}due:{guardian_id}:",
                now,
                about_pupil_id=pupil.id,
            )
    consenting = [p for p in missing if has_consent(session, p.id or 0)]
    tutor = homework.tutor_id or group.tutor_id
    if tutor is not None and consenting:
        written += _offer(
            session,
            tutor,
            "homework.missed.staff",
            T(
                "notify.homework.missed_tutor",
                group=group.code,
                pupils=", ".join(p.full_name for p in consenting),
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
