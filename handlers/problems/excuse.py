"""The tutor or assistant decides whether a reported absence is excused: from `/absences` (the
reported absences of their groups not yet decided) or from the pupil's line on the attendance sheet.
The one who reported it hears the decision; the dashboard and the attendance sheet show it. An
absence on a day a substitute tutor has the group is the substitute's to decide: the group's own
tutor is told so when they try, and sees those absences in `/absences` and on the sheet without the
buttons, with a line that says who decides them (a button that only leads to a refusal is a dead
end)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from handlers import substitutes
from handlers.context import Turn
from handlers.groups import acts_for, staff_groups, substitute_of
from handlers.lessons import Occurrence
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T, Text, subject_name
from models.people import Person
from models.school import TutoringGroup
from models.store import stored_id
from models.timetable import Attendance, Lesson
from outbox.write import enqueue

PREFIX = "abs:"
LOOK_BACK = timedelta(days=14)
DECISIONS = {"yes": True, "no": False}
MAX_SHOWN = 10


def note_line(note: str) -> Text | str:
    """The family's few words on a line of their own, or nothing."""
    return T("problems.note", note=note) if note else ""


def decision(excused: bool | None) -> Text:
    state = "pending" if excused is None else "yes" if excused else "no"
    return T(f"problems.excused.{state}")


def choices(row: Attendance, decider: Person | None = None) -> tuple[Choice, ...]:
    """The two buttons of an undecided reported absence; none for the group's own tutor when its
    substitute (`decider`) decides it."""
    if row.reason is None or row.excused is not None or decider is not None:
        return ()
    return (
        Choice(f"{PREFIX}yes:{row.id}", T("problems.choice.excused")),
        Choice(f"{PREFIX}no:{row.id}", T("problems.choice.not_excused")),
    )


def shown_status(status: Text, row: Attendance | None, decider: Person | None = None) -> Text:
    """A pupil's mark on the attendance sheet, with the reported reason and the decision (still to
    take: who takes it, when it is the substitute's)."""
    if row is None or row.reason is None:
        return status
    excused = decision(row.excused)
    if row.excused is None and decider is not None:
        excused = T("problems.excused.substitute", person=decider.full_name)
    return T(
        "problems.status_with_reason",
        status=status,
        reason=T(f"problems.reason.{row.reason}"),
        excused=excused,
    )


def reported(session: Session, occ: Occurrence) -> dict[int, Attendance]:
    """pupil id → their row for this lesson, for the pupils whose absence was reported."""
    rows = session.exec(
        select(Attendance).where(
            Attendance.lesson_id == occ.lesson.id,
            Attendance.on_date == occ.on_date,
            col(Attendance.reason).is_not(None),
        )
    ).all()
    return {row.pupil_id: row for row in rows}


def pending(turn: Turn) -> list[Reply]:
    """/absences: the reported absences of my groups still waiting for a decision."""
    groups = {stored_id(g): g for g in staff_groups(turn)}
    if not groups:
        return not_allowed()
    since = (turn.now - LOOK_BACK).date()
    rows = turn.session.exec(
        select(Attendance, Lesson)
        .where(col(Attendance.lesson_id) == col(Lesson.id))
        .where(col(Lesson.group_id).in_(groups), col(Attendance.reason).is_not(None))
        .where(col(Attendance.excused).is_(None), col(Attendance.on_date) >= since)
        .order_by(col(Attendance.on_date), col(Attendance.id))
        .limit(MAX_SHOWN)
    ).all()
    if not rows:
        return [Reply(T("problems.none_pending"))]
    replies = []
    for row, lesson in rows:
        pupil = turn.session.get(Person, row.pupil_id)
        decider = deciding_substitute(turn, groups[lesson.group_id], row.on_date)
        replies.append(
            Reply(
                T(
                    "problems.pending",
                    pupil=pupil.full_name if pupil else "",
                    subject=subject_name(groups[lesson.group_id].subject),
                    date=row.on_date.strftime("%d.%m"),
                    reason=T(f"problems.reason.{row.reason}"),
                    note=note_line(row.reason_note),
                    decides=T("problems.substitute_decides", person=decider.full_name) if decider else "",
                ),
                choices=choices(row, decider),
            )
        )
    return replies


def on_decide(turn: Turn) -> list[Reply]:
    raw = (turn.inbound.choice or "").removeprefix(PREFIX).split(":")
    if len(raw) != 2 or raw[0] not in DECISIONS or not raw[1].isdigit():
        return [Reply(T("common.not_understood"))]
    row = turn.session.get(Attendance, int(raw[1]))
    lesson = turn.session.get(Lesson, row.lesson_id) if row else None
    group = turn.session.get(TutoringGroup, lesson.group_id) if lesson else None
    me = turn.person_id()
    if row is None or row.reason is None or group is None or not _decides(turn, group, row.on_date):
        return not_allowed()
    if _substitutes_day(turn, group, row.on_date):  # a button shown before it was named
        return substitutes.refusal(turn, group, row.on_date, "substitute.absence_theirs")
    excused = DECISIONS[raw[0]]
    row.excused, row.excused_by = excused, me
    pupil = turn.session.get(Person, row.pupil_id)
    name = pupil.full_name if pupil else ""
    if row.reported_by is not None:
        enqueue(
            turn.session,
            kind="problem.decided",
            text=T(
                "problems.decided_family",
                pupil=name,
                subject=subject_name(group.subject),
                date=row.on_date.strftime("%d.%m"),
                excused=decision(excused),
            ),
            idempotency_key=f"problem:decided:{row.id}:{raw[0]}:{int(turn.now.timestamp())}:",
            person_id=row.reported_by,
            about_pupil_id=row.pupil_id,
        )
    return [Reply(T("problems.decided", pupil=name, excused=decision(excused)))]


def _substitutes_day(turn: Turn, group: TutoringGroup, day: date) -> bool:
    """Whether the group's own tutor (not also its assistant) asks about a day its substitute has."""
    me = turn.person_id()
    if me != group.tutor_id or me == group.assistant_id:
        return False
    found = substitute_of(turn, group, day)
    return found is not None and found.substitute_id != me


def deciding_substitute(turn: Turn, group: TutoringGroup, day: date) -> Person | None:
    """The substitute who decides the group's absences of `day`, when I am its own tutor and the
    decision is not mine; None when it is (or I am someone else)."""
    if not _substitutes_day(turn, group, day):
        return None
    found = substitute_of(turn, group, day)
    return turn.session.get(Person, found.substitute_id) if found is not None else None


def _decides(turn: Turn, group: TutoringGroup, day: date) -> bool:
    """The group's tutor or assistant, or its substitute — of the lesson's day, or of today, whose
    /absences lists the group's absences (as it lists them, the substitute decides them)."""
    me = turn.person_id()
    return (
        me in {group.tutor_id, group.assistant_id} - {None}
        or acts_for(turn, group, day)
        or acts_for(turn, group)
    )
