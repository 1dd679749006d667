"""Marking a Kazpost round's item received or missing: the one place for the responsible teacher's
/post in chat (`handlers.postal`) and the dashboard's delivery page (`bots.web.postal_marks`), so a
mark means the same wherever it is made.

A mark sets the item's status and time and is written to the audit log with who made it and where
("chat" or "dashboard"). A missing item tells the family (the guardians, else the pupil) through
the outbox, with the class's next collection day; the round that opens then carries the item
(`scheduler.postal`). The mark that leaves no item pending closes the round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from locales import T, Text, subject_name
from models.enums import PostalItemStatus
from models.homework import Homework
from models.journal import AuditLog
from models.people import Guardianship, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import SchoolClass, TutoringGroup
from models.store import stored_id
from outbox.write import enqueue

MARKS = {status.value: status for status in (PostalItemStatus.RECEIVED, PostalItemStatus.MISSING)}


@dataclass(frozen=True)
class Marked:
    """What a mark did: the answer to show, and whether it was the round's last."""

    text: Text
    closed: bool


def items(session: Session, round_id: int) -> list[PostalItem]:
    return list(
        session.exec(
            select(PostalItem).where(PostalItem.round_id == round_id).order_by(col(PostalItem.id))
        ).all()
    )


def waiting(session: Session, round_ids: Iterable[int]) -> dict[int, list[tuple[int, Text]]]:
    """The items still to mark of each round: (item id, what it is), in the collection list's order;
    one query for a page of rounds."""
    found: dict[int, list[tuple[int, Text]]] = {}
    rows = session.execute(
        sql_select(
            col(PostalItem.id),
            col(PostalItem.round_id),
            col(Person.full_name),
            Homework,
            col(TutoringGroup.subject),
        )
        .join(Person, col(Person.id) == col(PostalItem.pupil_id))
        .outerjoin(Homework, col(Homework.id) == col(PostalItem.homework_id))
        .outerjoin(TutoringGroup, col(TutoringGroup.id) == col(Homework.group_id))
        .where(
            col(PostalItem.round_id).in_(list(round_ids)),
            col(PostalItem.status) == PostalItemStatus.PENDING.value,
        )
        .order_by(col(PostalItem.round_id), col(PostalItem.id))
    ).all()
    for item_id, round_id, pupil, homework, subject in rows:
        title = homework.title if homework else None
        found.setdefault(round_id, []).append((item_id or 0, _label(pupil, title, subject)))
    return found


def round_params(session: Session, round_: PostalRound) -> dict[str, object]:
    school_class = session.get(SchoolClass, round_.class_id)
    return {
        "class_name": school_class.name if school_class else "",
        "date": round_.collection_date.strftime("%d.%m.%Y"),
    }


def label(session: Session, item: PostalItem) -> Text:
    """The item as the teacher reads it: the pupil and the homework (or paper work in general)."""
    pupil = session.get(Person, item.pupil_id)
    homework = session.get(Homework, item.homework_id) if item.homework_id else None
    group = session.get(TutoringGroup, homework.group_id) if homework else None
    return _label(
        pupil.full_name if pupil else "",
        homework.title if homework else None,
        group.subject if group else None,
    )


def _label(pupil: str, title: str | None, subject: str | None) -> Text:
    if title is None or subject is None:
        return T("postal.item_general", pupil=pupil)
    return T("postal.item", pupil=pupil, subject=subject_name(subject), title=title)


def next_collection(session: Session, round_: PostalRound) -> str:
    """The class's collection after this round's, dd.mm.yyyy; empty without a schedule."""
    schedule = session.exec(select(PostalSchedule).where(PostalSchedule.class_id == round_.class_id)).first()
    if schedule is None:
        return ""
    return schedule.collection_on_or_after(round_.collection_date + timedelta(days=1)).strftime("%d.%m.%Y")


def marked_text(session: Session, item: PostalItem, round_: PostalRound) -> Text:
    """What the item's mark says: received, or missing with the day it is collected next."""
    if item.status == PostalItemStatus.MISSING.value:
        return T(
            "postal.marked.missing", item=label(session, item), next_date=next_collection(session, round_)
        )
    return T("postal.marked.received", item=label(session, item))


def mark(
    session: Session,
    item: PostalItem,
    round_: PostalRound,
    status: PostalItemStatus,
    *,
    now: datetime,
    actor_id: int | None,
    where: str,
) -> Marked:
    """Mark the item (the caller has checked it is the actor's to mark) and do what follows."""
    item.status, item.marked_at = status.value, now
    session.add(item)
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=f"postal.{status.value}",
            entity="postal_item",
            entity_id=item.id,
            detail={"round_id": round_.id, "where": where},
        )
    )
    if status == PostalItemStatus.MISSING:
        _tell_family(session, item, round_)
    session.flush()
    closed = all(i.status != PostalItemStatus.PENDING for i in items(session, stored_id(round_)))
    if closed:
        round_.closed_at = now
        session.add(round_)
    return Marked(marked_text(session, item, round_), closed)


def _tell_family(session: Session, item: PostalItem, round_: PostalRound) -> None:
    """The guardians (else the pupil) learn the work did not come and when it is collected next."""
    guardians = session.exec(
        select(Guardianship.guardian_id).where(Guardianship.pupil_id == item.pupil_id)
    ).all()
    pupil = session.get(Person, item.pupil_id)
    for person_id in list(guardians) or [item.pupil_id]:
        enqueue(
            session,
            person_id=person_id,
            kind="postal.missed",
            text=T(
                "postal.missed",
                pupil=pupil.full_name if pupil else "",
                item=label(session, item),
                date=round_.collection_date.strftime("%d.%m.%Y"),
                next_date=next_collection(session, round_),
            ),
            idempotency_key=f"postal:{round_.id}:missed:{item.id}:{person_id}:",
            about_pupil_id=item.pupil_id if person_id != item.pupil_id else None,
        )
