"""When an announcement goes: at once, after the quiet hours, or at a moment the class teacher chose;
and calling a scheduled one off before then (/scheduled).

A scheduled announcement is written like any other — its outbox rows, with the recipients as they are
when it is confirmed — due at the chosen moment; calling it off withdraws the rows not yet sent
(`outbox.write.cancel`) and marks it cancelled. A confirmation says when the messages will really go:
"at 08:00" when it is sent in the quiet hours, not urgent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from handlers.audit import audit
from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T
from locales.shorten import headline
from models.clock import to_local
from models.outbox import Broadcast
from outbox.route import in_quiet_hours, quiet_ends
from outbox.write import cancel

PREFIX = "bc:drop:"
LISTED = 10
EXCERPT_CHARS = 60


def goes_at(turn: Turn, due: datetime, *, urgent: bool) -> datetime:
    """The local moment messages due at `due` go: later when it falls in the default quiet hours."""
    local = to_local(due, turn.config.time_zone)
    if urgent or not in_quiet_hours(local.time(), turn.config.quiet):
        return local
    return quiet_ends(local, turn.config.quiet)


def waiting_notice(turn: Turn, goes: datetime) -> list[Reply]:
    """Said after "being sent" when the quiet hours hold the messages back until `goes`."""
    if goes <= to_local(turn.now, turn.config.time_zone):
        return []
    return [Reply(T("broadcast.quiet_wait", time=goes.strftime("%H:%M")))]


def scheduled(turn: Turn, broadcast: Broadcast, goes: datetime, params: dict[str, Any]) -> Reply:
    audit(turn, "broadcast.scheduled", "broadcast", broadcast.id, send_at=goes.isoformat())
    return Reply(
        N("broadcast.schedule.done", "people", when=goes.strftime("%d.%m %H:%M"), **params),
        choices=(Choice(f"{PREFIX}{broadcast.id}", T("broadcast.schedule.drop")),),
    )


def _pending(turn: Turn) -> list[Broadcast]:
    return list(
        turn.session.exec(
            select(Broadcast)
            .where(
                Broadcast.author_id == turn.person_id(),
                col(Broadcast.send_at) > turn.now,
                col(Broadcast.cancelled_at).is_(None),
            )
            .order_by(col(Broadcast.send_at))
            .limit(LISTED)
        ).all()
    )


def listing(turn: Turn) -> list[Reply]:
    """/scheduled: the author's announcements still to go, each with its "call off" button."""
    waiting = _pending(turn)
    if not waiting:
        return [Reply(T("broadcast.schedule.none"))]
    return [
        Reply(
            T(
                "broadcast.schedule.item",
                when=to_local(b.send_at, turn.config.time_zone).strftime("%d.%m %H:%M") if b.send_at else "",
                excerpt=headline(b.text, EXCERPT_CHARS),
            ),
            choices=(Choice(f"{PREFIX}{b.id}", T("broadcast.schedule.drop")),),
        )
        for b in waiting
    ]


def drop(turn: Turn) -> list[Reply]:
    """Call a scheduled announcement off: its messages not yet sent are withdrawn."""
    raw_id = (turn.inbound.choice or "").removeprefix(PREFIX)
    broadcast = next((b for b in _pending(turn) if str(b.id) == raw_id), None)
    if broadcast is None:
        own = turn.session.get(Broadcast, int(raw_id)) if raw_id.isdigit() else None
        if own is None or own.author_id != turn.person_id():
            return not_allowed()
        return [Reply(T("broadcast.schedule.too_late"))]
    withdrawn = cancel(turn.session, f"broadcast:{broadcast.id}:")
    broadcast.cancelled_at = turn.now
    turn.session.add(broadcast)
    audit(turn, "broadcast.called_off", "broadcast", broadcast.id, withdrawn=withdrawn)
    return [Reply(N("broadcast.schedule.dropped", "count", count=withdrawn))]
