"""An answer in a thread, from either side: a Telegram reply to a message the thread sent, or a
message that starts with its reference ("#12 …", which works on WhatsApp and SMS too). "#12" alone
shows the thread's last messages. Only the thread's two people may write in it or read it.

A staff member's answer goes to the family member through the outbox (a pupil's only while a
parent's consent is in force) and marks the thread answered; a family member's goes on as any of
their messages does (`write.into_thread`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.context import Turn
from handlers.threads import content, deliver, people, store, write
from handlers.types import Choice, Reply
from locales import Lines, T, Text
from models.clock import to_local
from models.threads import Thread, ThreadMessage

REFERENCE = re.compile(r"^\s*#(\d{1,9})(?:\s+(.*))?\Z", re.DOTALL)
HISTORY = 5
EXCERPT = 300
DONE = "thr:done:"


def reference(text: str) -> tuple[int, str] | None:
    """(thread id, the rest) of "#12 …", else None."""
    found = REFERENCE.match(text)
    return (int(found.group(1)), found.group(2) or "") if found else None


def starts_with_reference(text: str) -> bool:
    return REFERENCE.match(text) is not None


def on_answer(turn: Turn) -> list[Reply] | None:
    """A reply or a typed reference; None when it is a reply to something that is no thread's."""
    inbound = turn.inbound
    typed = reference(inbound.text)
    if typed is not None:
        thread = turn.session.get(Thread, typed[0])
        turn.inbound = replace(inbound, text=typed[1])
    elif inbound.reply_to:
        thread = _replied(turn)
        if thread is None:
            return None
    else:
        return None
    me = turn.person_id()
    if thread is None or me not in (thread.family_id, thread.staff_id):
        return [Reply(T("threads.unknown_ref", ref=typed[0] if typed else thread.id if thread else ""))]
    if turn.inbound.unsupported:
        return [Reply(T("threads.unsupported"))]
    if not turn.inbound.text.strip() and not turn.inbound.uploads:
        return [history(turn, thread)]
    if me == thread.staff_id:
        return staff_answer(turn, thread)
    if not people.may_write(turn):
        return None
    messages, refused = content.keep(turn, from_family=True)
    return [*write.into_thread(turn, thread, messages), *refused] if messages else refused


def _replied(turn: Turn) -> Thread | None:
    """The thread of the message replied to: by the message id the outbox recorded on delivery, or,
    while that record is still being written, by the reference the quoted message starts with."""
    inbound = turn.inbound
    channel = inbound.identity.channel
    thread = store.replied_thread(turn.session, turn.identity.id, channel, inbound.reply_to or "")
    quoted = reference(inbound.quoted.split("·")[0])
    if thread is None and quoted is not None:
        thread = turn.session.get(Thread, quoted[0])
    return thread


def staff_answer(turn: Turn, thread: Thread) -> list[Reply]:
    messages, refused = content.keep(turn, from_family=False)
    if not messages:
        return refused
    store.attach(thread, messages, turn.now)
    written = sum(deliver.to_family(turn, thread, message) for message in messages)
    if not written:
        return [Reply(T("threads.not_delivered", ref=thread.id)), *refused]
    return [
        Reply(T("threads.answered", ref=thread.id, who=people.family_label(turn.session, thread))),
        *refused,
    ]


def history(turn: Turn, thread: Thread) -> Reply:
    """The thread's last messages as its reader sees them; to its staff member, a way to set it aside."""
    me = turn.person_id()
    other = (
        people.family_label(turn.session, thread)
        if me == thread.staff_id
        else people.staff_label(turn.session, thread)
    )
    lines = tuple(_line(turn, message, me) for message in store.latest(turn.session, thread.id or 0, HISTORY))
    done = (Choice(f"{DONE}{thread.id}", T("threads.choice.done")),)
    return Reply(
        T("threads.history", ref=thread.id, who=other, lines=Lines(lines)),
        choices=done if me == thread.staff_id and thread.waiting_since is not None else (),
    )


def _line(turn: Turn, message: ThreadMessage, me: int) -> Text:
    when = to_local(message.created_at, turn.config.time_zone).strftime("%d.%m %H:%M")
    body = deliver.body_of(message)
    if isinstance(body, str) and len(body) > EXCERPT:
        body = body[:EXCERPT].rstrip() + "…"
    side = "family" if message.from_family else "staff"
    who = T("threads.line.you") if message.author_id == me else T(f"threads.line.{side}")
    return T("threads.line", when=when, who=who, body=body)
