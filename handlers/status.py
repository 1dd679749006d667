"""The assistant teacher's (and tutor's) `/status`: per group, who has a parent's consent (and a
reminder to the parents who have not decided), who has not joined the bot (`handlers.status_reach`),
who joined the last lesson, and who has not handed in the open homework; a nudge to one pupil or to
all of them is one tap.

A nudge is a reminder to the pupil through the outbox (the consent gate applies), at most one per
pupil, homework and day: a second tap the same day says it was already sent.
"""

from __future__ import annotations

from sqlmodel import col, select

from handlers import status_reach
from handlers.attendance import marks, pupils_of
from handlers.audit import audit
from handlers.context import Turn
from handlers.groups import staff_groups
from handlers.homework import due_text
from handlers.lessons import last
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T, Text, subject_name
from locales.collation import Names
from models.clock import to_local
from models.consent_rules import has_consent
from models.enums import AttendanceStatus, SubmissionStatus
from models.homework import Homework, Submission
from models.people import Person
from models.school import TutoringGroup
from models.store import stored_id
from outbox.reminders import enqueue_once

PREFIX = "st:"
NONE = "—"


def _names(people: list[Person]) -> Names:
    return Names(tuple(p.full_name for p in people), NONE)


def open_homework(turn: Turn, group_id: int) -> list[Homework]:
    """Homework of the group whose deadline has not passed, earliest due first."""
    return list(
        turn.session.exec(
            select(Homework)
            .where(Homework.group_id == group_id, col(Homework.due_at) > turn.now)
            .order_by(col(Homework.due_at), col(Homework.id))
        ).all()
    )


def not_submitted(turn: Turn, homework: Homework, pupils: list[Person]) -> list[Person]:
    handed_in = set(
        turn.session.exec(
            select(Submission.pupil_id).where(
                Submission.homework_id == homework.id, Submission.status != SubmissionStatus.REPLACED
            )
        ).all()
    )
    return [p for p in pupils if p.id not in handed_in]


def show(turn: Turn) -> list[Reply]:
    groups = staff_groups(turn)
    if not groups:
        return not_allowed()
    replies: list[Reply] = []
    for group in groups:
        pupils = pupils_of(turn, stored_id(group))
        consenting = [p for p in pupils if has_consent(turn.session, p.id or 0)]
        replies.append(
            Reply(
                N(
                    "status.group",
                    "count",
                    group=group.code,
                    subject=subject_name(group.subject),
                    count=len(pupils),
                    consent=_names(consenting),
                    no_consent=_names([p for p in pupils if p not in consenting]),
                    lesson=_last_lesson(turn, group, pupils),
                ),
                choices=status_reach.consent_choices(
                    stored_id(group), [p for p in pupils if p not in consenting]
                ),
            )
        )
        replies += filter(None, [status_reach.not_joined(turn, pupils)])
        for homework in open_homework(turn, stored_id(group)):
            replies.append(_homework_reply(turn, group, homework, consenting))
    return replies


def _last_lesson(turn: Turn, group: TutoringGroup, pupils: list[Person]) -> Text:
    occ = last(turn.session, group.id or 0, turn.now, turn.config.time_zone)
    if occ is None:
        return T("status.no_lesson")
    marked = marks(turn, occ)

    def having(*statuses: AttendanceStatus) -> Names:
        return _names([p for p in pupils if marked.get(p.id or 0) in statuses])

    local = to_local(occ.start, turn.config.time_zone)
    return T(
        "status.lesson",
        date=local.strftime("%d.%m"),
        time=local.strftime("%H:%M"),
        joined=having(AttendanceStatus.PRESENT, AttendanceStatus.LATE),
        absent=having(AttendanceStatus.ABSENT),
        unmarked=_names([p for p in pupils if (p.id or 0) not in marked]),
    )


def _homework_reply(turn: Turn, group: TutoringGroup, homework: Homework, consenting: list[Person]) -> Reply:
    missing = not_submitted(turn, homework, consenting)
    choices: list[Choice] = []
    if len(missing) > 1:
        choices.append(Choice(f"{PREFIX}all:{homework.id}", T("status.nudge_all", count=len(missing))))
    choices += [
        Choice(f"{PREFIX}one:{homework.id}:{p.id}", T("status.nudge_one", pupil=p.full_name)) for p in missing
    ]
    return Reply(
        T(
            "status.homework",
            group=group.code,
            title=homework.title,
            due=due_text(turn, homework),
            missing=_names(missing),
        ),
        choices=tuple(choices),
    )


# ---------------------------------------------------------------- nudges


def nudge(turn: Turn) -> list[Reply]:
    """A nudge to one pupil, or to every pupil who has not handed the homework in."""
    action, _, rest = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    raw_homework, _, raw_pupil = rest.partition(":")
    found = _owned_homework(turn, raw_homework)
    if found is None:
        return not_allowed()
    homework, group = found
    pupils = [p for p in pupils_of(turn, group.id or 0) if has_consent(turn.session, p.id or 0)]
    missing = not_submitted(turn, homework, pupils)
    if action == "one":
        chosen = [p for p in pupils_of(turn, group.id or 0) if str(p.id) == raw_pupil]
        if not chosen:
            return not_allowed()
        if chosen[0] not in pupils:
            return [Reply(T("status.nudge_no_consent", pupil=chosen[0].full_name))]
        targets = [p for p in missing if p.id == chosen[0].id]
        if not targets:
            return [Reply(T("status.nudge_not_needed", pupil=chosen[0].full_name))]
    elif action == "all" and not raw_pupil:
        targets = missing
    else:
        return [Reply(T("common.not_understood"))]
    sent = sum(_send_nudge(turn, homework, group, pupil) for pupil in targets)
    audit(turn, "status.nudged", "homework", homework.id, pupils=[p.id for p in targets], sent=sent)
    return [Reply(T("status.nudged", sent=sent, already=len(targets) - sent))]


def _owned_homework(turn: Turn, raw_id: str) -> tuple[Homework, TutoringGroup] | None:
    if not raw_id.isdigit():
        return None
    homework = turn.session.get(Homework, int(raw_id))
    if homework is None:
        return None
    group = next((g for g in staff_groups(turn) if g.id == homework.group_id), None)
    return (homework, group) if group is not None else None


def _send_nudge(turn: Turn, homework: Homework, group: TutoringGroup, pupil: Person) -> bool:
    """One reminder per pupil, homework and local day; False when it was already sent today."""
    day = to_local(turn.now, turn.config.time_zone).date().isoformat()
    text = T(
        "status.nudge_pupil",
        subject=subject_name(group.subject),
        title=homework.title,
        due=due_text(turn, homework),
    )
    key = f"nudge:{homework.id}:{pupil.id}:{day}:"
    return enqueue_once(turn.session, "homework.nudge", text, key, stored_id(pupil), stored_id(pupil))
