"""A thread's message to the other side, through the outbox, in the same transaction as the message.

Each outbox row names the thread ("#12") and says how to answer (reply to it, or "#12 …"), so it
works on every channel; a `ThreadNotice` ties the row to its thread, so a Telegram reply to it
(whose message id the outbox keeps) lands in the thread. A long text goes in parts of `PART_CHARS`
(each fits one WhatsApp message with its header), numbered, and is kept whole in the store. The
recipient's quiet hours are the outbox's to honour; `out_of_hours` tells a family when the answer
may come.
"""

from __future__ import annotations

from sqlmodel import Session

from handlers.context import Turn
from handlers.threads import people
from locales import T, Text
from models.clock import to_local
from models.people import Person
from models.store import stored_id
from models.threads import Thread, ThreadMessage, ThreadNotice
from outbox.route import in_quiet_hours, quiet_ends
from outbox.write import enqueue

PART_CHARS = 1000
TO_STAFF = "thread.to_staff"
TO_FAMILY = "thread.to_family"
# What a message without words says it carries.
BODIES = {"photo": "threads.body.photo", "voice": "threads.body.voice", "file": "threads.body.file"}


def parts(text: str, size: int = PART_CHARS) -> list[str]:
    """The text in pieces of at most `size` characters, cut at a space or line where there is one."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text or not pieces else pieces


def body_of(message: ThreadMessage) -> Text | str:
    return message.text or T(BODIES.get(message.kind, "threads.body.file"))


def to_staff(turn: Turn, thread: Thread, message: ThreadMessage, *, urgent: bool = False) -> int:
    """A family's message to the thread's staff member; returns how many parts were written."""
    return _send(
        turn, thread, message, thread.staff_id, TO_STAFF, people.family_label(turn.session, thread), urgent
    )


def to_family(turn: Turn, thread: Thread, message: ThreadMessage) -> int:
    """A staff member's answer to the family member; 0 when it may not go (a pupil without consent)."""
    return _send(turn, thread, message, thread.family_id, TO_FAMILY, people.staff_label(turn.session, thread))


def _send(
    turn: Turn,
    thread: Thread,
    message: ThreadMessage,
    person_id: int,
    kind: str,
    who: Text,
    urgent: bool = False,
) -> int:
    key = "threads.to_staff" if kind == TO_STAFF else "threads.to_family"
    pieces = parts(message.text)
    written = 0
    for number, piece in enumerate(pieces, start=1):
        part: Text | str = T("threads.part", n=number, of=len(pieces)) if len(pieces) > 1 else ""
        text = T(key, ref=thread.id, who=who, body=piece or body_of(message), part=part)
        written += tell(
            turn.session,
            thread,
            person_id,
            kind,
            text,
            f"thread:{thread.id}:{message.id}:{number}:",
            media_path=message.media_path if number == 1 else None,
            urgent=urgent,
        )
    return written


def tell(
    session: Session,
    thread: Thread,
    person_id: int,
    kind: str,
    text: Text,
    idempotency_key: str,
    *,
    media_path: str | None = None,
    urgent: bool = False,
) -> bool:
    """One outbox row about the thread, tied to it; False when the consent gate refused it."""
    row = enqueue(
        session,
        kind=kind,
        text=text,
        idempotency_key=idempotency_key,
        person_id=person_id,
        media_path=media_path,
        urgent=urgent,
    )
    if row is None:
        return False
    if session.get(ThreadNotice, stored_id(row)) is None:
        session.add(ThreadNotice(notification_id=stored_id(row), thread_id=stored_id(thread)))
    return True


def held(turn: Turn, thread: Thread) -> None:
    """Messages over the hourly limit are not sent one by one: the staff member hears once an hour
    that more are waiting in the thread."""
    hour = to_local(turn.now, turn.config.time_zone).strftime("%Y%m%d%H")
    text = T("threads.held_to_staff", ref=thread.id, who=people.family_label(turn.session, thread))
    tell(turn.session, thread, thread.staff_id, TO_STAFF, text, f"thread:{thread.id}:held:{hour}:")


def out_of_hours(turn: Turn, staff_id: int) -> Text | None:
    """When the staff member may read it, if they are in their quiet hours now; else None."""
    staff = turn.session.get(Person, staff_id)
    quiet = (
        (staff.quiet_start, staff.quiet_end)
        if staff is not None and staff.quiet_start is not None and staff.quiet_end is not None
        else turn.config.quiet
    )
    local = to_local(turn.now, turn.config.time_zone)
    if not in_quiet_hours(local.time(), quiet):
        return None
    ends = quiet_ends(local, quiet)
    day = "today" if ends.date() == local.date() else "tomorrow"
    return T("threads.out_of_hours", time=ends.strftime("%H:%M"), day=T(f"threads.day.{day}"))
