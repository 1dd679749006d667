"""What the scheduler's jobs write: offers of outbox rows, each written once under its idempotency
key (a re-derivation after a restart reads instead of writing), through `enqueue`, so the consent
gate applies; and who in a group is told (its pupils, its acting tutor and assistant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from locales import Text
from models.outbox import Notification
from models.people import Person
from models.school import GroupMember, TutoringGroup
from models.substitutes import Substitution
from outbox.write import enqueue

KEY_CHUNK = 500


@dataclass(frozen=True)
class Offer:
    person_id: int | None
    kind: str
    text: Text
    key: str
    due: datetime
    urgent: bool = True
    about_pupil_id: int | None = None


def offer_all(session: Session, offers: list[Offer]) -> int:
    """Enqueue the offers whose key is not in the outbox yet (looked up a chunk at a time, so a
    re-derivation after a restart reads instead of writing); those already there count as offered."""
    written = 0
    for start in range(0, len(offers), KEY_CHUNK):
        chunk = offers[start : start + KEY_CHUNK]
        known = set(
            session.exec(
                select(Notification.idempotency_key).where(
                    col(Notification.idempotency_key).in_([o.key for o in chunk])
                )
            ).all()
        )
        for one in chunk:
            if one.key in known:
                written += 1
                continue
            written += offer(
                session,
                one.person_id,
                one.kind,
                one.text,
                one.key,
                one.due,
                urgent=one.urgent,
                about_pupil_id=one.about_pupil_id,
            )
    return written


def offer(
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


def told(session: Session, key_prefix: str) -> bool:
    """Whether some message under this key prefix (ending in ":") exists: a range of the unique
    key's index, so each of many groups costs one lookup."""
    after = key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)
    found = session.exec(
        select(Notification.id).where(
            col(Notification.idempotency_key) >= key_prefix, col(Notification.idempotency_key) < after
        )
    ).first()
    return found is not None


def group_pupils(session: Session, group_id: int) -> list[Person]:
    return list(
        session.exec(
            select(Person)
            .join(GroupMember, col(GroupMember.pupil_id) == Person.id)
            .where(GroupMember.group_id == group_id)
            .order_by(col(Person.full_name), col(Person.id))
        ).all()
    )


def group_staff(group: TutoringGroup, substitute: Substitution | None = None) -> list[int]:
    """The group's acting tutor (its substitute for the day, if any) and its assistant."""
    tutor = substitute.substitute_id if substitute is not None else group.tutor_id
    return [p for p in dict.fromkeys((tutor, group.assistant_id)) if p is not None]
