"""A staff member's threads that wait for their answer (`/threads`), oldest first, a few at a time
with "more"; each can be read in full or set aside when it needs no answer (a "thank you", a 👍)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.threads import answer, deliver, people
from handlers.types import Choice, Reply
from locales import T
from models.clock import to_local
from models.threads import Thread, ThreadMessage

PAGE = 5
EXCERPT = 200
LIST = "thr:list:"
SHOW = "thr:show:"
DONE = answer.DONE


def _waiting(turn: Turn) -> ColumnElement[bool]:
    return (col(Thread.staff_id) == turn.person_id()) & col(Thread.waiting_since).is_not(None)


def start(turn: Turn) -> list[Reply]:
    return page(turn, 0)


def on_more(turn: Turn) -> list[Reply]:
    raw = (turn.inbound.choice or "").removeprefix(LIST)
    return page(turn, int(raw) if raw.isdigit() else 0)


def page(turn: Turn, offset: int) -> list[Reply]:
    waiting = _waiting(turn)
    total = int(turn.session.exec(select(func.count()).select_from(Thread).where(waiting)).one())
    threads = turn.session.exec(
        select(Thread)
        .where(waiting)
        .order_by(col(Thread.waiting_since), col(Thread.id))
        .offset(offset)
        .limit(PAGE)
    ).all()
    if not threads:
        return [Reply(T("threads.none_waiting"))]
    replies = [Reply(T("threads.waiting_count", count=total))]
    replies += [_item(turn, thread) for thread in threads]
    if offset + PAGE < total:
        more = Choice(f"{LIST}{offset + PAGE}", T("threads.choice.more", count=total - offset - PAGE))
        replies.append(Reply(T("threads.more"), choices=(more,)))
    return replies


def _item(turn: Turn, thread: Thread) -> Reply:
    last = turn.session.exec(
        select(ThreadMessage)
        .where(ThreadMessage.thread_id == thread.id, col(ThreadMessage.from_family).is_(True))
        .order_by(col(ThreadMessage.id).desc())
    ).first()
    body = deliver.body_of(last) if last is not None else ""
    if isinstance(body, str) and len(body) > EXCERPT:
        body = body[:EXCERPT].rstrip() + "…"
    since = to_local(thread.waiting_since or thread.last_message_at, turn.config.time_zone)
    return Reply(
        T(
            "threads.item",
            ref=thread.id,
            who=people.family_label(turn.session, thread),
            since=since.strftime("%d.%m %H:%M"),
            body=body,
        ),
        choices=(
            Choice(f"{SHOW}{thread.id}", T("threads.choice.show")),
            Choice(f"{DONE}{thread.id}", T("threads.choice.done")),
        ),
    )


def _thread(turn: Turn, prefix: str) -> Thread | None:
    raw = (turn.inbound.choice or "").removeprefix(prefix)
    return turn.session.get(Thread, int(raw)) if raw.isdigit() else None


def on_show(turn: Turn) -> list[Reply]:
    thread = _thread(turn, SHOW)
    if thread is None or turn.person_id() not in (thread.staff_id, thread.family_id):
        return not_allowed()
    return [answer.history(turn, thread)]


def on_done(turn: Turn) -> list[Reply]:
    """Set a thread aside: it waits no more, until the family writes again."""
    thread = _thread(turn, DONE)
    if thread is None or thread.staff_id != turn.person_id():
        return not_allowed()
    thread.waiting_since = None
    return [Reply(T("threads.set_aside", ref=thread.id))]
