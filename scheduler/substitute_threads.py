"""A family's question left waiting in a substitute tutor's conversation when the substitution is over
(its last day has passed, or the coordinator ended it early) goes on, with the conversation, to
whoever tutors the group now — its own tutor, or a new substitute — so it does not wait on someone no
longer responsible. The one who takes it hears of it as of any family message (a notice tied to the
thread, so a reply to it answers the family), and the family is told who has their question now.

Only threads waiting for an answer move here; the family's next message in any other moves it
(`handlers.threads.write.handed_on`). Checked on every derivation: the threads of the `substitute`
topic waiting for an answer are few.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers.threads import deliver, people
from locales import T
from models.clock import to_local
from models.enums import Topic
from models.people import Person
from models.threads import Thread

STAFF_KIND = "thread.to_staff"
FAMILY_KIND = "thread.to_family"


def hand_on_waiting(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Move each waiting substitute's thread whose substitution no longer holds today; returns how
    many notices were written."""
    today = to_local(now, zone).date()
    waiting = session.exec(
        select(Thread)
        .where(Thread.topic == Topic.SUBSTITUTE.value, col(Thread.waiting_since).is_not(None))
        .order_by(col(Thread.id))
    ).all()
    return sum(_hand_on(session, thread, today, zone) for thread in waiting)


def _hand_on(session: Session, thread: Thread, today: date, zone: ZoneInfo) -> int:
    taken = (
        None if people.still_responsible(session, thread, today) else people.successor(session, thread, today)
    )
    if taken is None:
        return 0  # still theirs, or nobody tutors the group: it stays where it is
    former = session.get(Person, thread.staff_id)
    thread.staff_id, thread.topic = taken[0], taken[1].value
    session.add(thread)
    key = f"thread:{thread.id}:handed:{former.id if former else 0}:{thread.staff_id}:"
    since = to_local(thread.waiting_since or thread.last_message_at, zone).strftime("%d.%m %H:%M")
    to_staff = T(
        "threads.handed_on.staff",
        ref=thread.id,
        who=people.family_label(session, thread),
        since=since,
        former=former.full_name if former else "",
    )
    to_family = T("threads.handed_on.family", ref=thread.id, who=people.staff_label(session, thread))
    told_staff = deliver.tell(session, thread, thread.staff_id, STAFF_KIND, to_staff, f"{key}staff:")
    told_family = deliver.tell(session, thread, thread.family_id, FAMILY_KIND, to_family, f"{key}family:")
    return int(told_staff) + int(told_family)
