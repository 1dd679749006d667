"""School reminders: each goes at most once a day per pupil and person, whether asked for from the
dashboard's attention list (`bots.web.reminders`) or from an assistant's /status
(`handlers.status_reach`). The idempotency key holds what the reminder is about and the local day,
and is made here only, so either door finds the reminder the other wrote today."""

from __future__ import annotations

from sqlmodel import Session, col, select

from locales import Text
from models.outbox import Notification
from models.people import Guardianship
from outbox.write import enqueue


def reminder_key(need: str, pupil_id: int, person_id: int, day: str) -> str:
    return f"remind:{need}:{pupil_id}:{person_id}:{day}:"


def parents_of(session: Session, pupil_id: int) -> list[int]:
    return list(
        session.exec(
            select(Guardianship.guardian_id)
            .where(Guardianship.pupil_id == pupil_id)
            .order_by(col(Guardianship.guardian_id))
        ).all()
    )


def enqueue_once(
    session: Session, kind: str, text: Text, key: str, person_id: int, about_pupil_id: int
) -> bool:
    """One outbox row, unless one with this key was written already (a reminder of today) or the
    consent gate holds it: False then."""
    if session.exec(select(Notification.id).where(Notification.idempotency_key == key)).first():
        return False
    row = enqueue(
        session, kind=kind, text=text, idempotency_key=key, person_id=person_id, about_pupil_id=about_pupil_id
    )
    return row is not None


def remind_parents(session: Session, need: str, kind: str, text: Text, pupil_id: int, day: str) -> list[bool]:
    """The reminder to each of the pupil's parents; True for each one written now."""
    return [
        enqueue_once(session, kind, text, reminder_key(need, pupil_id, parent, day), parent, pupil_id)
        for parent in parents_of(session, pupil_id)
    ]
