"""Threads and their messages in the store: found or opened, written, looked up by a reply or a typed
reference, counted for the hourly limit, and erased with the child they are about."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from handlers.threads.people import Recipient
from models.enums import AttemptOutcome
from models.outbox import DeliveryAttempt, Notification
from models.threads import MAX_TEXT, Thread, ThreadMessage, ThreadNotice

HOUR = timedelta(hours=1)


def clean(text: str) -> str:
    """Words as they can be stored: without NUL, which PostgreSQL's text refuses and nobody types."""
    return text.replace("\x00", "")


def thread_for(session: Session, family_id: int, recipient: Recipient, now: datetime) -> Thread:
    """The family member's thread with this recipient about this child, opened if there is none."""
    found = session.exec(
        select(Thread)
        .where(
            Thread.family_id == family_id,
            Thread.pupil_id == recipient.pupil_id,
            Thread.staff_id == recipient.staff_id,
            Thread.topic == recipient.topic.value,
            Thread.group_id == recipient.group_id,
            Thread.class_id == recipient.class_id,
        )
        .order_by(col(Thread.id).desc())
    ).first()
    if found is not None:
        return found
    thread = Thread(
        family_id=family_id,
        pupil_id=recipient.pupil_id,
        staff_id=recipient.staff_id,
        topic=recipient.topic.value,
        group_id=recipient.group_id,
        class_id=recipient.class_id,
        school_id=recipient.school_id,
        opened_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    return thread


def add_message(
    session: Session,
    *,
    author_id: int,
    from_family: bool,
    now: datetime,
    kind: str = "text",
    text: str = "",
    media_path: str | None = None,
) -> ThreadMessage:
    """A message, kept whole, not yet in a thread (see `attach`)."""
    message = ThreadMessage(
        author_id=author_id,
        from_family=from_family,
        kind=kind,
        text=clean(text)[:MAX_TEXT],
        media_path=media_path,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def attach(thread: Thread, messages: list[ThreadMessage], now: datetime) -> None:
    """Put the messages in the thread; a family's message makes the thread wait for an answer, a
    staff member's answers it."""
    for message in messages:
        message.thread_id = thread.id
    thread.last_message_at = now
    if any(m.from_family for m in messages):
        thread.waiting_since = thread.waiting_since or now
    else:
        thread.waiting_since = None


def drafts(session: Session, ids: list[int], author_id: int) -> list[ThreadMessage]:
    """The author's messages still waiting for "whom?" (in the order written)."""
    if not ids:
        return []
    return list(
        session.exec(
            select(ThreadMessage)
            .where(
                col(ThreadMessage.id).in_(ids),
                ThreadMessage.author_id == author_id,
                col(ThreadMessage.thread_id).is_(None),
            )
            .order_by(col(ThreadMessage.id))
        ).all()
    )


def sent_within_hour(session: Session, author_id: int, now: datetime) -> int:
    """How many messages the family member has written in the last hour (the hourly limit)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ThreadMessage)
            .where(
                ThreadMessage.author_id == author_id,
                col(ThreadMessage.from_family).is_(True),
                col(ThreadMessage.created_at) > now - HOUR,
            )
        ).one()
    )


def replied_thread(session: Session, identity_id: int | None, channel: str, message_id: str) -> Thread | None:
    """The thread whose message this chat identity replies to: the outbox keeps each delivered
    message's id on its attempt (Telegram's message_id), and a notice ties the row to its thread."""
    if identity_id is None:
        return None
    thread_id = session.exec(
        select(ThreadNotice.thread_id)
        .join(DeliveryAttempt, col(DeliveryAttempt.notification_id) == col(ThreadNotice.notification_id))
        .where(
            DeliveryAttempt.provider_id == message_id,
            DeliveryAttempt.channel == channel,
            DeliveryAttempt.identity_id == identity_id,
            DeliveryAttempt.outcome == AttemptOutcome.DELIVERED.value,
        )
    ).first()
    return session.get(Thread, thread_id) if thread_id is not None else None


def latest(session: Session, thread_id: int, limit: int) -> list[ThreadMessage]:
    """The thread's last `limit` messages, oldest first."""
    rows = session.exec(
        select(ThreadMessage)
        .where(ThreadMessage.thread_id == thread_id)
        .order_by(col(ThreadMessage.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def export(session: Session, pupil_id: int) -> list[dict[str, object]]:
    """The threads about the child, each with its messages (the family's copy of their data)."""
    threads = session.exec(select(Thread).where(Thread.pupil_id == pupil_id).order_by(col(Thread.id))).all()
    return [
        {
            "id": thread.id,
            "topic": thread.topic,
            "opened_at": thread.opened_at,
            "messages": [
                message.model_dump(exclude={"media_path", "thread_id"})
                for message in session.exec(
                    select(ThreadMessage)
                    .where(ThreadMessage.thread_id == thread.id)
                    .order_by(col(ThreadMessage.id))
                ).all()
            ],
        }
        for thread in threads
    ]


def erase(session: Session, pupil_id: int) -> list[str]:
    """Delete every thread about the child (and the outbox rows that carried them); the media files
    to remove once no row names them."""
    threads = list(
        session.exec(
            select(Thread.id).where((col(Thread.pupil_id) == pupil_id) | (col(Thread.family_id) == pupil_id))
        ).all()
    )
    in_threads = col(ThreadMessage.thread_id).in_(threads)
    own_drafts = (col(ThreadMessage.author_id) == pupil_id) & col(ThreadMessage.thread_id).is_(None)
    paths = [
        path
        for path in session.exec(select(ThreadMessage.media_path).where(in_threads | own_drafts)).all()
        if path
    ]
    notices = select(ThreadNotice.notification_id).where(col(ThreadNotice.thread_id).in_(threads))
    notifications = list(session.exec(notices).all())
    for statement in (
        delete(ThreadNotice).where(col(ThreadNotice.thread_id).in_(threads)),
        delete(DeliveryAttempt).where(col(DeliveryAttempt.notification_id).in_(notifications)),
        delete(Notification).where(col(Notification.id).in_(notifications)),
        delete(ThreadMessage).where(in_threads | own_drafts),
        delete(Thread).where(col(Thread.id).in_(threads)),
    ):
        session.execute(statement)
    return paths


def still_named(session: Session, path: str) -> bool:
    """Whether a thread message still names this (content-addressed) file."""
    return session.exec(select(ThreadMessage.id).where(ThreadMessage.media_path == path)).first() is not None
