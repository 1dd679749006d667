"""The one-click reminder from the dashboard's "needs attention" list, through the outbox.

What goes depends on why the pupil is listed (`Attention.reminders`): without a parent's consent,
only a reminder to the parents to decide (consent gates everything else); with it, the pupil is
reminded of work past its deadline, and the parents are told of missed lessons they gave no reason
for. Each goes at most
once a day per pupil and person (its idempotency key holds the local day), so a second click the
same day sends nothing more. The reader must be one who may act on the pupil (their school, class
or group: a district only reads), and the click is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from locales import T, Text
from models.homework import Homework, Submission
from models.journal import AuditLog
from models.school import GroupMember
from models.store import session_scope
from monitoring.attention import Attention, one
from monitoring.figures import COUNTED, Reading
from monitoring.scope import scope_of
from outbox.reminders import enqueue_once, remind_parents

TITLES_SHOWN = 3


@dataclass(frozen=True)
class Sent:
    written: int  # messages written to the outbox now
    already: int  # messages this click would send that went earlier today (or the consent gate held)


def remind(engine: Engine, reading: Reading, actor_id: int, pupil_id: int) -> Sent | None:
    """Send what the pupil's listing calls for; None when the reader may not act on the pupil."""
    with session_scope(engine) as session:
        acting = scope_of(session, actor_id, areas=False)
        if acting is None or not acting.sees_pupil(session, pupil_id):
            return None
        if not reading.scope.sees_pupil(session, pupil_id):
            return None
        listed = one(session, reading, pupil_id)
        if listed is None:
            return None
        day = reading.now.astimezone(reading.zone).date().isoformat()
        outcomes = [
            sent for kind in listed.reminders for sent in SENDERS[kind](session, reading, listed, day)
        ]
        written = sum(1 for sent in outcomes if sent)
        session.add(
            AuditLog(
                actor_id=actor_id,
                action="dashboard.remind",
                entity="person",
                entity_id=pupil_id,
                detail={"kinds": listed.reminders, "sent": written},
            )
        )
        return Sent(written, len(outcomes) - written)


def _to_parents(
    session: Session, listed: Attention, need: str, kind: str, text: Text, day: str
) -> list[bool]:
    return remind_parents(session, need, kind, text, listed.pupil_id, day)


def _consent(session: Session, reading: Reading, listed: Attention, day: str) -> list[bool]:
    text = T("overview.remind.consent", pupil=listed.name)
    return _to_parents(session, listed, "consent", "consent.school_reminder", text, day)


def _absent(session: Session, reading: Reading, listed: Attention, day: str) -> list[bool]:
    since = reading.period.start.strftime("%d.%m.%Y")
    text = T("overview.remind.absent", pupil=listed.name, count=listed.unexplained, since=since)
    return _to_parents(session, listed, "absent", "attendance.absences", text, day)


def _missing(session: Session, reading: Reading, listed: Attention, day: str) -> list[bool]:
    handed = select(Submission.homework_id).where(
        Submission.pupil_id == listed.pupil_id, col(Submission.status).in_(COUNTED)
    )
    titles = [
        homework.title
        for homework in session.exec(
            select(Homework)
            .join(GroupMember, col(GroupMember.group_id) == col(Homework.group_id))
            .where(
                GroupMember.pupil_id == listed.pupil_id,
                col(Homework.due_at) >= reading.begin,
                col(Homework.due_at) < reading.after,
                col(Homework.id).not_in(handed),
            )
            .order_by(col(Homework.due_at))
        ).all()
    ]
    shown = "; ".join(titles[:TITLES_SHOWN]) + ("…" if len(titles) > TITLES_SHOWN else "")
    text = T("overview.remind.missing", count=len(titles), works=shown)
    key = f"remind:missing:{listed.pupil_id}:{day}:"
    return [enqueue_once(session, "homework.missing", text, key, listed.pupil_id, listed.pupil_id)]


SENDERS: dict[str, Callable[[Session, Reading, Attention, str], list[bool]]] = {
    "consent": _consent,
    "absent": _absent,
    "missing": _missing,
}
