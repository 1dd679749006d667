"""Attendance: after a lesson the tutor (the substitute, on the days one has the group), or the group's
assistant teacher (whose job the programme makes it that pupils join on time), marks each pupil
present, late or absent with one tap; the group's own tutor reads while a substitute has it.

`/attendance` (or the scheduler's "lesson ended" prompt, which points at it) lists the tutor's
lessons of the last week; choosing one shows the group list, one message per pupil with three
buttons, and a button marking everyone not yet marked as present. Each tap writes the `Attendance`
row (a second tap changes it). An absence notifies each guardian through the outbox the same evening
(not before `EVENING` local time, so a slip of the finger can be corrected: marking the pupil present
or late again withdraws the pending notice); the consent gate and quiet hours apply as for any message.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlmodel import col, select

from handlers import lessons, substitutes
from handlers.audit import audit
from handlers.context import Turn
from handlers.family import guardians_of
from handlers.groups import acts_for, staff_groups
from handlers.lessons import Occurrence
from handlers.problems import excuse, streak
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T, Text, subject_name
from locales.collation import sort_key
from models.clock import to_local, to_utc
from models.enums import AttendanceStatus
from models.people import Person
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from models.timetable import Attendance, Lesson
from outbox.write import cancel, enqueue

PREFIX = "att:"
EVENING = time(19, 0)  # absence notices go out from this local time on the lesson's day
MAX_LESSONS = 8
CODES = {"p": AttendanceStatus.PRESENT, "l": AttendanceStatus.LATE, "a": AttendanceStatus.ABSENT}
LABELS = {
    AttendanceStatus.PRESENT: "attendance.status.present",
    AttendanceStatus.LATE: "attendance.status.late",
    AttendanceStatus.ABSENT: "attendance.status.absent",
}


def status_text(status: str | None) -> Text:
    if status is None:
        return T("attendance.status.unmarked")
    return T(LABELS[AttendanceStatus(status)])


def pupils_of(turn: Turn, group_id: int) -> list[Person]:
    """The group's pupils in the alphabetical order of the reader's language."""
    pupils = turn.session.exec(
        select(Person)
        .join(GroupMember, col(GroupMember.pupil_id) == Person.id)
        .where(GroupMember.group_id == group_id)
        .order_by(col(Person.id))
    ).all()
    return sorted(pupils, key=lambda pupil: sort_key(turn.locale, pupil.full_name))


def marks(turn: Turn, occ: Occurrence) -> dict[int, str]:
    """pupil id → status marked for this occurrence."""
    rows = turn.session.exec(
        select(Attendance).where(Attendance.lesson_id == occ.lesson.id, Attendance.on_date == occ.on_date)
    ).all()
    return {row.pupil_id: row.status for row in rows}


# ---------------------------------------------------------------- choosing the lesson


def start(turn: Turn) -> list[Reply]:
    groups = staff_groups(turn)
    if not groups:
        return not_allowed()
    found: list[tuple[Occurrence, TutoringGroup]] = []
    for group in groups:
        recent = lessons.recent(turn.session, stored_id(group), turn.now, turn.config.time_zone)
        found += [(occ, group) for occ in recent]
    found.sort(key=lambda pair: pair[0].start, reverse=True)
    if not found:
        return [Reply(T("attendance.no_lessons"))]
    if len(found) == 1:
        return sheet(turn, *found[0])
    return [
        Reply(
            T("attendance.ask_lesson"),
            choices=tuple(
                Choice(f"{PREFIX}l:{_key(occ)}", _lesson_label(turn, occ, group))
                for occ, group in found[:MAX_LESSONS]
            ),
        )
    ]


def _key(occ: Occurrence) -> str:
    return f"{occ.lesson.id}:{occ.on_date.isoformat()}"


def _lesson_label(turn: Turn, occ: Occurrence, group: TutoringGroup) -> Text:
    local = to_local(occ.start, turn.config.time_zone)
    return T(
        "attendance.choice.lesson",
        group=group.code,
        subject=subject_name(group.subject),
        date=local.strftime("%d.%m"),
        time=local.strftime("%H:%M"),
    )


def sheet(turn: Turn, occ: Occurrence, group: TutoringGroup) -> list[Reply]:
    """The group list: a header with "all present", then one message per pupil with three buttons."""
    key = _key(occ)
    local = to_local(occ.start, turn.config.time_zone)
    marked = marks(turn, occ)
    pupils = pupils_of(turn, group.id or 0)
    header = Reply(
        N(
            "attendance.sheet",
            "count",
            group=group.code,
            subject=subject_name(group.subject),
            date=local.strftime("%d.%m"),
            time=local.strftime("%H:%M"),
            count=len(pupils),
        ),
        choices=(Choice(f"{PREFIX}all:{key}", T("attendance.mark.all_present")),),
    )
    reported = excuse.reported(turn.session, occ)  # absences the family explained, and the decision
    decider = excuse.deciding_substitute(turn, group, occ.on_date)  # for the own tutor: who decides
    rows = [
        Reply(
            T(
                "attendance.pupil",
                pupil=pupil.full_name,
                status=excuse.shown_status(
                    status_text(marked.get(pupil.id or 0)), reported.get(pupil.id or 0), decider
                ),
            ),
            choices=tuple(
                Choice(f"{PREFIX}m:{key}:{pupil.id}:{code}", T(f"attendance.mark.{status.value}"))
                for code, status in CODES.items()
            )
            + (excuse.choices(reported[pupil.id], decider) if pupil.id in reported else ()),
        )
        for pupil in pupils
    ]
    return [header, *rows]


# ---------------------------------------------------------------- marking


def on_choice(turn: Turn) -> list[Reply]:
    """A tap on a lesson, a pupil's mark or "everyone present"."""
    parts = (turn.inbound.choice or "").removeprefix(PREFIX).split(":")
    action, args = parts[0], parts[1:]
    if len(args) < 2:
        return [Reply(T("common.not_understood"))]
    found = _owned_occurrence(turn, args[0], args[1])
    if found is None:
        return not_allowed()
    occ, group = found
    if action == "l" and len(args) == 2:
        return sheet(turn, occ, group)
    if not marks_for(turn, group, occ.on_date):
        return substitutes.refusal(turn, group, occ.on_date)  # its own tutor reads; the substitute marks
    if action == "all" and len(args) == 2:
        return _all_present(turn, occ, group)
    if action == "m" and len(args) == 4 and args[3] in CODES:
        pupil = _member(turn, group, args[2])
        if pupil is None:
            return not_allowed()
        return mark(turn, occ, group, pupil, CODES[args[3]])
    return [Reply(T("common.not_understood"))]


def marks_for(turn: Turn, group: TutoringGroup, day: date) -> bool:
    """Whether this person marks the group's attendance on `day`: its assistant teacher always, its
    acting tutor (the substitute of the day, else its own tutor)."""
    assisting = turn.person is not None and turn.person.id == group.assistant_id
    return assisting or acts_for(turn, group, day)


def _owned_occurrence(turn: Turn, raw_lesson: str, raw_date: str) -> tuple[Occurrence, TutoringGroup] | None:
    """The occurrence, if it is a lesson of a group this person tutors, assists or substitutes for
    that day, and has begun."""
    if turn.person is None or not raw_lesson.isdigit():
        return None
    try:
        on_date = date.fromisoformat(raw_date)
    except ValueError:
        return None
    lesson = turn.session.get(Lesson, int(raw_lesson))
    group = turn.session.get(TutoringGroup, lesson.group_id) if lesson else None
    if lesson is None or group is None:
        return None
    if turn.person.id not in (group.tutor_id, group.assistant_id) and not acts_for(turn, group, on_date):
        return None
    occ = lessons.occurrence(turn.session, lesson, on_date, turn.config.time_zone)
    if occ is None or occ.start > turn.now:
        return None
    return occ, group


def _member(turn: Turn, group: TutoringGroup, raw_pupil: str) -> Person | None:
    if not raw_pupil.isdigit():
        return None
    member = turn.session.exec(
        select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.pupil_id == int(raw_pupil))
    ).first()
    return turn.session.get(Person, member.pupil_id) if member else None


def _all_present(turn: Turn, occ: Occurrence, group: TutoringGroup) -> list[Reply]:
    marked = marks(turn, occ)
    count = 0
    for pupil in pupils_of(turn, group.id or 0):
        if pupil.id is not None and pupil.id not in marked:
            _write(turn, occ, pupil, AttendanceStatus.PRESENT)
            count += 1
    return [Reply(T("attendance.all_marked", count=count)), *_summary_if_complete(turn, occ, group)]


def mark(
    turn: Turn, occ: Occurrence, group: TutoringGroup, pupil: Person, status: AttendanceStatus
) -> list[Reply]:
    row = _write(turn, occ, pupil, status)
    replies = [Reply(T("attendance.marked", pupil=pupil.full_name, status=status_text(status)))]
    if status == AttendanceStatus.ABSENT and row is not None:
        notified = _notify_guardians(turn, occ, group, pupil, row)
        replies = [Reply(T("attendance.marked_absent", pupil=pupil.full_name, notified=notified))]
    if status == AttendanceStatus.ABSENT:  # also when the family reported it before the lesson
        streak.check(turn.session, stored_id(pupil), turn.now, turn.config.time_zone)
    return [*replies, *_summary_if_complete(turn, occ, group)]


def _write(turn: Turn, occ: Occurrence, pupil: Person, status: AttendanceStatus) -> Attendance | None:
    """Store the mark; returns the row when the status changed, None when it was already so."""
    pupil_id, lesson_id = stored_id(pupil), stored_id(occ.lesson)
    row = lessons.attendance_row(turn.session, occ, pupil_id)
    if row is not None and row.status == status:
        return None
    if row is None:
        row = Attendance(lesson_id=lesson_id, on_date=occ.on_date, pupil_id=pupil_id, status=status)
        turn.session.add(row)
    elif row.status == AttendanceStatus.ABSENT:
        cancel(turn.session, _notice_prefix(occ, pupil_id))  # a corrected absence is not announced
    row.status, row.marked_by, row.marked_at = status.value, turn.person_id(), turn.now
    turn.session.flush()
    audit(turn, "attendance.marked", "attendance", row.id, pupil_id=pupil_id, status=status.value)
    return row


def _notice_prefix(occ: Occurrence, pupil_id: int) -> str:
    return f"attendance:{occ.lesson.id}:{occ.on_date.isoformat()}:{pupil_id}:"


def _evening(turn: Turn, occ: Occurrence) -> datetime:
    return max(turn.now, to_utc(datetime.combine(occ.on_date, EVENING), turn.config.time_zone))


def _notify_guardians(
    turn: Turn, occ: Occurrence, group: TutoringGroup, pupil: Person, row: Attendance
) -> int:
    """An absence notice to each guardian, due this evening; returns how many were written."""
    pupil_id = stored_id(pupil)
    local = to_local(occ.start, turn.config.time_zone)
    text = T(
        "attendance.absent_guardian",
        pupil=pupil.full_name,
        subject=subject_name(group.subject),
        date=local.strftime("%d.%m"),
        time=local.strftime("%H:%M"),
    )
    version = int(row.marked_at.timestamp() * 1_000_000)  # a re-marked absence is a new notice
    written = 0
    for guardian in guardians_of(turn.session, pupil_id):
        if guardian.id == row.reported_by:
            continue  # they told us why
        notice = enqueue(
            turn.session,
            kind="attendance.absent",
            text=text,
            idempotency_key=f"{_notice_prefix(occ, pupil_id)}{version}:{guardian.id}:",
            person_id=guardian.id,
            about_pupil_id=pupil_id,
            due_at=_evening(turn, occ),
        )
        written += notice is not None
    return written


def _summary_if_complete(turn: Turn, occ: Occurrence, group: TutoringGroup) -> list[Reply]:
    pupils = [p.id for p in pupils_of(turn, group.id or 0)]
    marked = marks(turn, occ)
    if not pupils or any(p not in marked for p in pupils):
        return []
    counts = {status: sum(1 for p in pupils if marked[p or 0] == status) for status in AttendanceStatus}
    return [
        Reply(
            T(
                "attendance.complete",
                group=group.code,
                present=counts[AttendanceStatus.PRESENT],
                late=counts[AttendanceStatus.LATE],
                absent=counts[AttendanceStatus.ABSENT],
            )
        )
    ]
