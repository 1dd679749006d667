"""Reporting a problem (`/problem`, the word «мәселе» / «проблема» / "problem", the menu's button):
no internet, a broken device, illness or something else, as Online Mektep lists them.

A pupil reports for themselves, a parent for a child (chosen when there are several). When it
concerns a lesson shortly before or after (`WINDOW`), chosen from a list, it becomes the reason of
the pupil's absence from that lesson (stored on the attendance row, undecided until the tutor or
assistant marks it excused or not); the tutor hears of it in the thread with the family (so a reply
reaches them) — at once, quiet hours or not, when the lesson is about to start — and the class
teacher through the outbox. For a lesson a substitute tutor teaches, the thread is with the
substitute, who decides it and answers; the group's own tutor reads a notice that says so, with
nothing to press or answer. A report after the lesson may complete two missed lessons in a row,
which alerts the class teacher. A problem with no lesson goes as a message to the assistant
(internet, device) or the class teacher (illness, anything else). "Something else" asks for a few
words, unless the family's own message already says them. A problem reported from a message the
family typed carries that message as its note: the words reach the staff member once, in the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select

from handlers import conversation, lessons
from handlers.audit import audit
from handlers.context import Turn
from handlers.groups import local_today
from handlers.lessons import Occurrence
from handlers.problems import excuse, streak
from handlers.refusals import not_understood
from handlers.threads import deliver, drafts, people, store
from handlers.threads.people import Recipient
from handlers.types import Choice, Reply
from locales import T, Text, subject_name
from models.clock import to_local
from models.enums import AttendanceStatus, Problem, Topic
from models.people import Person
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from models.substitutes import acting_tutor
from models.threads import Thread, ThreadMessage
from models.timetable import Attendance, Lesson
from outbox.write import enqueue

START = "prb:start:"
CHILD = "prb:child:"
KIND = "prb:kind:"
LESSON = "prb:lesson:"
FLOW = "prb"
FLOW_NOTE = "prb_note"
NO_LESSON = "none"
WINDOW = timedelta(days=2)  # lessons this close before or after now are offered
AHEAD = timedelta(days=8)  # and each group's next lesson, if it comes within this
MAX_LESSONS = 6
URGENT_BEFORE = timedelta(hours=2)  # a report this close before the lesson reaches the tutor at once
MAX_NOTE = 500
# With no lesson, who hears of it: technical trouble the assistant, the rest the class teacher.
NO_LESSON_TOPICS = {
    Problem.NO_INTERNET: (Topic.ASSISTANT, Topic.CLASS_TEACHER),
    Problem.DEVICE: (Topic.ASSISTANT, Topic.CLASS_TEACHER),
    Problem.ILL: (Topic.CLASS_TEACHER, Topic.ASSISTANT),
    Problem.OTHER: (Topic.CLASS_TEACHER, Topic.ASSISTANT),
}


@dataclass(frozen=True)
class Report:
    pupil: Person
    kind: Problem
    occurrence: Occurrence | None
    group: TutoringGroup | None
    note: str
    messages: list[ThreadMessage]


# -- the questions ------------------------------------------------------------------------------


def start(turn: Turn) -> list[Reply]:
    """Whose problem (a parent of several children is asked), then what happened."""
    if not people.may_write(turn):
        return [Reply(T("consent.pupil_needs_parent"))]
    waiting = drafts.waiting(turn)  # a message written before "report it as a problem" was chosen
    pupils = people.writes_about(turn)
    if not pupils:
        return [Reply(T("problems.nobody"))]
    if len(pupils) > 1:
        conversation.enter(turn, FLOW, "child", drafts=waiting)
        return [_ask_child(pupils)]
    return [_ask_kind(turn, stored_id(pupils[0]), waiting)]


def _ask_child(pupils: list[Person]) -> Reply:
    return Reply(
        T("problems.ask_child"),
        choices=tuple(Choice(f"{CHILD}{p.id}", T("problems.child", name=p.full_name)) for p in pupils),
    )


def _ask_kind(turn: Turn, pupil_id: int, waiting: list[int]) -> Reply:
    conversation.enter(turn, FLOW, "kind", drafts=waiting, pupil=pupil_id)
    return Reply(
        T("problems.ask_kind"),
        choices=tuple(
            Choice(f"{KIND}{pupil_id}:{kind.value}", T(f"problems.kind.{kind.value}")) for kind in Problem
        ),
    )


def ask_again(turn: Turn) -> list[Reply] | None:
    """The open step's question once more (after a message written in the middle of it)."""
    state = conversation.load(turn)
    data = dict(state.data)
    pupil = _pupil(turn, data.get("pupil"))
    if state.step == "child":
        return [_ask_child(people.writes_about(turn))]
    if pupil is None:
        return None
    if state.step == "kind":
        return [_ask_kind(turn, stored_id(pupil), list(data.get("drafts") or []))]
    kind = Problem(data["kind"])
    if state.flow == FLOW_NOTE:
        return [Reply(T("problems.ask_note"))]
    return [_ask_lesson(turn, pupil, kind, _around(turn, stored_id(pupil)))]


def _ask_lesson(
    turn: Turn, pupil: Person, kind: Problem, found: list[tuple[Occurrence, TutoringGroup]]
) -> Reply:
    state = conversation.load(turn)
    conversation.enter(turn, FLOW, "lesson", **{**state.data, "pupil": pupil.id, "kind": kind.value})
    listed = [
        Choice(
            f"{LESSON}{pupil.id}:{kind.value}:{occ.lesson.id}:{occ.on_date.isoformat()}",
            _lesson_label(turn, occ, group),
        )
        for occ, group in found
    ]
    listed.append(Choice(f"{LESSON}{pupil.id}:{kind.value}:{NO_LESSON}", T("problems.no_lesson")))
    return Reply(T("problems.ask_lesson"), choices=tuple(listed))


def _lesson_label(turn: Turn, occ: Occurrence, group: TutoringGroup) -> Text:
    local = to_local(occ.start, turn.config.time_zone)
    when = "past" if occ.start <= turn.now else "next"
    return T(
        f"problems.lesson.{when}",
        subject=subject_name(group.subject),
        date=local.strftime("%d.%m"),
        time=local.strftime("%H:%M"),
    )


def _pupil(turn: Turn, raw: object) -> Person | None:
    """A child this person may report for, by id (a button's or the state's)."""
    wanted = int(raw) if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()) else None
    return next((p for p in people.writes_about(turn) if p.id == wanted), None)


def _around(turn: Turn, pupil_id: int) -> list[tuple[Occurrence, TutoringGroup]]:
    """The pupil's lessons that start within `WINDOW` of now, and each group's next lesson however
    far ahead within `AHEAD` (an illness told on a Thursday evening is for Monday's lesson), soonest
    first."""
    groups = turn.session.exec(
        select(TutoringGroup)
        .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
        .where(GroupMember.pupil_id == pupil_id)
    ).all()
    zone = turn.config.time_zone
    first = to_local(turn.now - WINDOW, zone).date()
    days = [first + timedelta(days=n) for n in range((WINDOW + AHEAD).days + 2)]
    found: list[tuple[Occurrence, TutoringGroup]] = []
    for group in groups:
        held = [
            occ
            for lesson in turn.session.exec(
                select(Lesson).where(Lesson.group_id == group.id, col(Lesson.active).is_(True))
            ).all()
            for occ in (lessons.occurrence(turn.session, lesson, day, zone) for day in days)
            if occ is not None and turn.now - WINDOW <= occ.start <= turn.now + AHEAD
        ]
        upcoming = min((occ for occ in held if occ.start > turn.now), key=lambda occ: occ.start, default=None)
        found += [(occ, group) for occ in held if abs(occ.start - turn.now) <= WINDOW or occ is upcoming]
    found.sort(key=lambda pair: abs(pair[0].start - turn.now))
    return sorted(found[:MAX_LESSONS], key=lambda pair: pair[0].start)


# -- the answers --------------------------------------------------------------------------------


def on_child(turn: Turn) -> list[Reply]:
    pupil = _pupil(turn, (turn.inbound.choice or "").removeprefix(CHILD))
    if pupil is None:
        return not_understood()
    waiting = list(conversation.load(turn).data.get("drafts") or [])
    return [_ask_kind(turn, stored_id(pupil), waiting)]


def on_kind(turn: Turn) -> list[Reply]:
    raw_pupil, _, raw_kind = (turn.inbound.choice or "").removeprefix(KIND).partition(":")
    pupil = _pupil(turn, raw_pupil)
    if pupil is None or raw_kind not in Problem.__members__.values():
        return not_understood()
    kind = Problem(raw_kind)
    found = _around(turn, stored_id(pupil))
    if not found:
        conversation.enter(
            turn, FLOW, "lesson", **{**conversation.load(turn).data, "pupil": pupil.id, "kind": kind.value}
        )
        return _after_lesson(turn, pupil, kind, None)
    return [_ask_lesson(turn, pupil, kind, found)]


def on_lesson(turn: Turn) -> list[Reply]:
    parts = (turn.inbound.choice or "").removeprefix(LESSON).split(":")
    pupil = _pupil(turn, parts[0]) if parts else None
    if pupil is None or len(parts) < 3 or parts[1] not in Problem.__members__.values():
        return not_understood()
    kind = Problem(parts[1])
    if parts[2] == NO_LESSON and len(parts) == 3:
        return _after_lesson(turn, pupil, kind, None)
    chosen = _chosen(turn, stored_id(pupil), parts[2:])
    if chosen is None:
        return not_understood()
    return _after_lesson(turn, pupil, kind, chosen)


def _chosen(turn: Turn, pupil_id: int, raw: list[str]) -> tuple[Occurrence, TutoringGroup] | None:
    """The lesson chosen, if it is still one of the pupil's lessons near now."""
    if len(raw) != 2 or not raw[0].isdigit():
        return None
    try:
        on_date = date.fromisoformat(raw[1])
    except ValueError:
        return None
    return next(
        (
            (occ, group)
            for occ, group in _around(turn, pupil_id)
            if occ.lesson.id == int(raw[0]) and occ.on_date == on_date
        ),
        None,
    )


def _after_lesson(
    turn: Turn, pupil: Person, kind: Problem, chosen: tuple[Occurrence, TutoringGroup] | None
) -> list[Reply]:
    """Ask for a few words when "something else" has none yet; else report it."""
    data = dict(conversation.load(turn).data)
    messages = store.drafts(turn.session, list(data.get("drafts") or []), turn.person_id())
    note = " ".join(m.text for m in messages if m.text).strip()
    if kind == Problem.OTHER and not note:
        lesson = f"{chosen[0].lesson.id}:{chosen[0].on_date.isoformat()}" if chosen else NO_LESSON
        conversation.enter(
            turn, FLOW_NOTE, "note", **{**data, "pupil": pupil.id, "kind": kind.value, "lesson": lesson}
        )
        return [Reply(T("problems.ask_note"))]
    conversation.clear(turn)
    occ, group = chosen if chosen else (None, None)
    return finish(turn, Report(pupil, kind, occ, group, note[:MAX_NOTE], messages))


def on_note(turn: Turn) -> list[Reply] | None:
    """The few words of "something else"."""
    data = dict(conversation.load(turn).data)
    pupil = _pupil(turn, data.get("pupil"))
    if pupil is None or data.get("kind") not in Problem.__members__.values():
        conversation.clear(turn)
        return None
    raw_lesson = str(data.get("lesson") or NO_LESSON)
    chosen = None if raw_lesson == NO_LESSON else _chosen(turn, stored_id(pupil), raw_lesson.split(":"))
    messages = store.drafts(turn.session, list(data.get("drafts") or []), turn.person_id())
    conversation.clear(turn)
    occ, group = chosen if chosen else (None, None)
    report = Report(
        pupil,
        Problem(str(data["kind"])),
        occ,
        group,
        store.clean(turn.inbound.text).strip()[:MAX_NOTE],
        messages,
    )
    return finish(turn, report)


# -- the report ---------------------------------------------------------------------------------


def finish(turn: Turn, report: Report) -> list[Reply]:
    if report.occurrence is None or report.group is None:
        return _without_lesson(turn, report)
    occ, group = report.occurrence, report.group
    row = _reason_on_attendance(turn, report, occ)
    local = to_local(occ.start, turn.config.time_zone)
    facts = {
        "pupil": report.pupil.full_name,
        "subject": subject_name(group.subject),
        "date": local.strftime("%d.%m"),
        "time": local.strftime("%H:%M"),
        "reason": T(f"problems.reason.{report.kind.value}"),
        "note": excuse.note_line(report.note),
    }
    version = int(turn.now.timestamp())
    acting = acting_tutor(turn.session, group, occ.on_date)
    substitute = acting if acting != group.tutor_id else None  # who teaches it then decides it
    answering = substitute if substitute is not None else group.tutor_id
    if answering is not None:
        recipient = Recipient(
            stored_id(report.pupil),
            Topic.TUTOR if substitute is None else Topic.SUBSTITUTE,
            answering,
            group_id=group.id,
            school_id=_school(turn, report),
        )
        thread, _ = _problem_in_thread(turn, recipient, report)
        beyond = _beyond_note(turn, report)
        urgent = turn.now <= occ.start <= turn.now + URGENT_BEFORE
        key = "problems.to_tutor" if substitute is None else "problems.to_substitute"
        deliver.tell(
            turn.session,
            thread,
            answering,
            "problem.reported",
            T(key, ref=thread.id, who=people.family_label(turn.session, thread), **facts),
            f"problem:{row.id}:{version}:tutor:",
            urgent=urgent,
        )
        for message in beyond:
            store.attach(thread, [message], turn.now)
            deliver.to_staff(turn, thread, message)
    who = T("problems.by_pupil") if turn.person_id() == report.pupil.id else T("problems.by_guardian")
    told: list[tuple[int, Text]] = [
        (teacher, T("problems.to_class_teacher", who=who, **facts))
        for teacher in people.class_teachers_of(turn.session, stored_id(report.pupil))
    ]
    if substitute is not None and group.tutor_id is not None:  # the own tutor reads; nothing to press
        substituted = T("problems.to_tutor_substituted", who=who, substitute=_name(turn, substitute), **facts)
        told.append((group.tutor_id, substituted))
    for person, text in told:
        enqueue(
            turn.session,
            kind="problem.reported",
            text=text,
            idempotency_key=f"problem:{row.id}:{version}:to:{person}:",
            person_id=person,
            about_pupil_id=report.pupil.id,
        )
    if occ.start <= turn.now:
        streak.check(turn.session, stored_id(report.pupil), turn.now, turn.config.time_zone)
    audit(turn, "problem.reported", "attendance", row.id, pupil_id=report.pupil.id, reason=report.kind.value)
    return [Reply(T("problems.recorded", **{k: facts[k] for k in ("subject", "date", "time", "reason")}))]


def _name(turn: Turn, person_id: int) -> str:
    person = turn.session.get(Person, person_id)
    return person.full_name if person else ""


def _problem_in_thread(turn: Turn, recipient: Recipient, report: Report) -> tuple[Thread, ThreadMessage]:
    """The report as a message in the family's thread with the recipient; a reported problem is
    news, not a question, so it leaves the thread waiting or not as it was."""
    thread = store.thread_for(turn.session, turn.person_id(), recipient, turn.now)
    problem = store.add_message(
        turn.session,
        author_id=turn.person_id(),
        from_family=True,
        now=turn.now,
        kind="problem",
        text=report.note,
    )
    waiting = thread.waiting_since
    store.attach(thread, [problem], turn.now)
    thread.waiting_since = waiting
    return thread, problem


def _beyond_note(turn: Turn, report: Report) -> list[ThreadMessage]:
    """The family's messages the problem does not carry whole, which follow it to the staff member: a
    photo, a voice note, words written before "something else" asked for its own, or cut short at
    `MAX_NOTE`. A message of words the note holds whole is the problem itself: its row goes, so the
    words reach the staff member once and stand once in the thread (the note keeps them)."""
    beyond = []
    for message in report.messages:
        if message.media_path is None and message.text.strip() and message.text.strip() in report.note:
            turn.session.delete(message)
        else:
            beyond.append(message)
    turn.session.flush()
    return beyond


def _school(turn: Turn, report: Report) -> int | None:
    return people.school_and_class(turn.session, stored_id(report.pupil))[0]


def _reason_on_attendance(turn: Turn, report: Report, occ: Occurrence) -> Attendance:
    """The reason on the pupil's attendance row for the lesson: a row written ahead of the lesson
    says "absent" until the tutor marks otherwise; a decision already taken is asked again."""
    pupil_id, lesson_id = stored_id(report.pupil), stored_id(occ.lesson)
    row = lessons.attendance_row(turn.session, occ, pupil_id)
    if row is None:
        row = Attendance(
            lesson_id=lesson_id,
            on_date=occ.on_date,
            pupil_id=pupil_id,
            status=AttendanceStatus.ABSENT.value,
            marked_at=turn.now,
        )
        turn.session.add(row)
    row.reason, row.reason_note = report.kind.value, report.note
    row.reported_by, row.reported_at = turn.person_id(), turn.now
    row.excused, row.excused_by = None, None
    turn.session.flush()
    return row


def _without_lesson(turn: Turn, report: Report) -> list[Reply]:
    """No lesson: a message in the thread with the assistant or the class teacher."""
    options = people.recipients(turn.session, stored_id(report.pupil), local_today(turn))
    recipient = next(
        (r for topic in NO_LESSON_TOPICS[report.kind] for r in options if r.topic == topic),
        options[0] if options else None,
    )
    if recipient is None:
        return [Reply(T("threads.nobody"))]
    thread, problem = _problem_in_thread(turn, recipient, report)
    beyond = _beyond_note(turn, report)
    store.attach(thread, beyond, turn.now)
    thread.waiting_since = thread.waiting_since or turn.now  # with no lesson, it is a question
    reason = T(f"problems.reason.{report.kind.value}")
    text = T(
        "problems.to_staff",
        ref=thread.id,
        who=people.family_label(turn.session, thread),
        reason=reason,
        note=excuse.note_line(report.note),
    )
    deliver.tell(
        turn.session, thread, thread.staff_id, "problem.reported", text, f"thread:{thread.id}:{problem.id}:1:"
    )
    for message in beyond:
        deliver.to_staff(turn, thread, message)
    audit(turn, "problem.reported", "thread", thread.id, pupil_id=report.pupil.id, reason=report.kind.value)
    replies = [Reply(T(f"threads.sent.{thread.topic}", ref=thread.id))]
    later = deliver.out_of_hours(turn, thread.staff_id)
    return [*replies, Reply(later)] if later is not None else replies
