"""Two missed lessons in a row: when a pupil's last two lessons (of any of their groups, in the order
they happened) are both marked absent, the class teacher hears of it with the reasons, once per
second missed lesson, through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from handlers import lessons
from handlers.lessons import Occurrence
from handlers.threads.people import class_teachers_of
from locales import T, Text, subject_name
from models.clock import to_local
from models.enums import AttendanceStatus
from models.people import Person
from models.school import GroupMember, TutoringGroup
from models.timetable import Attendance
from outbox.write import enqueue

LOOK_BACK = timedelta(days=30)


def last_two(session: Session, pupil_id: int, now: datetime, zone: ZoneInfo) -> list[Occurrence]:
    """The pupil's two latest lessons that have started, newest first."""
    groups = session.exec(select(GroupMember.group_id).where(GroupMember.pupil_id == pupil_id)).all()
    found = [occ for group in groups for occ in lessons.recent(session, group, now, zone, LOOK_BACK)]
    return sorted(found, key=lambda occ: occ.start, reverse=True)[:2]


def check(session: Session, pupil_id: int, now: datetime, zone: ZoneInfo) -> int:
    """Alert the class teachers if the last two lessons were both missed; how many were written."""
    latest = last_two(session, pupil_id, now, zone)
    if len(latest) < 2:
        return 0
    rows = [lessons.attendance_row(session, occ, pupil_id) for occ in latest]
    if any(row is None or row.status != AttendanceStatus.ABSENT for row in rows):
        return 0
    pupil = session.get(Person, pupil_id)
    earlier, later = (
        _line(session, occ, row, zone) for occ, row in zip(reversed(latest), reversed(rows), strict=True)
    )
    text = T("problems.streak", pupil=pupil.full_name if pupil else "", first=earlier, second=later)
    newest = latest[0]
    written = 0
    for teacher in class_teachers_of(session, pupil_id):
        written += (
            enqueue(
                session,
                kind="attendance.streak",
                text=text,
                idempotency_key=f"absence:streak:{pupil_id}:{newest.lesson.id}:{newest.on_date.isoformat()}:{teacher}:",
                person_id=teacher,
                about_pupil_id=pupil_id,
            )
            is not None
        )
    return written


def _line(session: Session, occ: Occurrence, row: Attendance | None, zone: ZoneInfo) -> Text:
    group = session.get(TutoringGroup, occ.lesson.group_id)
    local = to_local(occ.start, zone)
    reason = T(f"problems.reason.{row.reason}") if row is not None and row.reason else T("problems.no_reason")
    return T(
        "problems.streak_line",
        subject=subject_name(group.subject if group else ""),
        date=local.strftime("%d.%m"),
        time=local.strftime("%H:%M"),
        reason=reason,
    )
