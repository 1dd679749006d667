"""Catching up: when a pupil or a parent joins, or consent is given again, what still matters reaches
them — open homework with its deadline, the next lessons, the latest grade — and not the reminders
that went by meanwhile (the scheduler writes those only while they are due).

* A pupil who joins (their first choice of language), consent in force: the summary in the answer;
  and each open homework's notice they never got — set before they joined (it found no chat and
  ended "no channel"), or while consent was not in force — goes through the outbox now, with its file.
* A parent who joins: each child's summary, for the children with consent.
* A parent who gives consent: that child's summary in the answer; the child, if they are in a chat
  already, gets their summary and the notices they missed through the outbox (if not, joining does it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.context import Turn
from handlers.family import children_of
from handlers.hand_in import LATE_DAYS
from handlers.homework import tell_pupil
from handlers.types import Reply
from locales import Lines, T, Text
from models.consent_rules import has_consent
from models.enums import Role
from models.people import Person
from models.store import stored_id
from outbox.route import in_a_chat
from outbox.write import UNDELIVERED, enqueue, send_again
from record import lines
from record.occurrences import between
from record.work import State, Work, grades, groups_of, works

LESSONS_AHEAD = 3
LESSON_HORIZON = timedelta(days=14)
OPEN = (State.MISSING, State.REDO, State.TODO)


def joined(turn: Turn) -> list[Reply]:
    """A person's first language chosen after joining: their summary, or their children's."""
    if turn.person is None or turn.person.id is None:
        return []
    zone = turn.config.time_zone
    replies: list[Reply] = []
    if turn.has_role(Role.GUARDIAN):
        for child in children_of(turn.session, turn.person.id):
            if child.id is not None and has_consent(turn.session, child.id):
                replies.append(Reply(summary(turn.session, child, turn.now, zone, for_parent=True)))
    if turn.has_role(Role.PUPIL) and has_consent(turn.session, turn.person.id):
        resend_notices(turn.session, turn.person.id, turn.now, zone)
        replies.append(Reply(summary(turn.session, turn.person, turn.now, zone, for_parent=False)))
    return replies


def consent_given(turn: Turn, child: Person, consent_id: int) -> list[Reply]:
    """A parent has agreed: the child's summary for them; the child's own catch-up if in a chat."""
    zone, pupil_id = turn.config.time_zone, stored_id(child)
    if pupil_id in in_a_chat(turn.session, [pupil_id]):
        enqueue(
            turn.session,
            kind="catch_up",
            text=summary(turn.session, child, turn.now, zone, for_parent=False),
            idempotency_key=f"catch-up:{pupil_id}:{consent_id}:",
            person_id=pupil_id,
            about_pupil_id=pupil_id,
        )
        resend_notices(turn.session, pupil_id, turn.now, zone)
    return [Reply(summary(turn.session, child, turn.now, zone, for_parent=True))]


def resend_notices(session: Session, pupil_id: int, now: datetime, zone: ZoneInfo) -> None:
    """The notices of open homework the pupil never got, written (consent came after the homework
    was set) or sent again (they had no chat then, or consent was not in force)."""
    for item in _open_work(session, pupil_id, now):
        row = tell_pupil(session, item.homework, item.subject, pupil_id, zone)
        if row is not None and row.status in UNDELIVERED:
            send_again(session, row, now)


def _open_work(session: Session, pupil_id: int, now: datetime) -> list[Work]:
    found = works(session, [pupil_id], now, due_from=now - timedelta(days=LATE_DAYS)).get(pupil_id, [])
    return [item for item in found if item.state in OPEN]


def summary(session: Session, pupil: Person, now: datetime, zone: ZoneInfo, *, for_parent: bool) -> Text:
    """Open homework with its deadline, the next lessons and the latest grade, one pupil."""
    pupil_id = stored_id(pupil)
    homework = [lines.work(item, zone) for item in _open_work(session, pupil_id, now)]
    groups = groups_of(session, [pupil_id]).get(pupil_id, [])
    ahead = [slot for slot in between(session, groups, now, now + LESSON_HORIZON, zone) if not slot.cancelled]
    lessons = [lines.lesson(slot, zone) for slot in ahead[:LESSONS_AHEAD]]
    latest = grades(session, [pupil_id])[:1]
    params: dict[str, object] = {
        "pupil": pupil.full_name,
        "homework": Lines(tuple(homework)) if homework else T("catch_up.no_homework"),
        "lessons": Lines(tuple(lessons)) if lessons else T("catch_up.no_lessons"),
        "grade": lines.grade(latest[0], zone) if latest else T("catch_up.no_grade"),
    }
    return T("catch_up.child", **params) if for_parent else T("catch_up.pupil", **params)
