"""The class teacher's delivery report of a broadcast: delivered, delivered cut short (an SMS over
the segment cap), still waiting, failed and reached by no channel (the last three with names, so the
teacher can call or hand over a paper copy), and how the class group chat post went."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Reply
from locales import T, Text
from locales.collation import Names
from locales.shorten import headline
from models.clock import to_local
from models.enums import AttemptOutcome, NotificationStatus, Role
from models.outbox import Broadcast, DeliveryAttempt, Notification
from models.people import Membership, Person

NONE = "—"
EXCERPT_CHARS = 40
WAITING = (NotificationStatus.PENDING, NotificationStatus.SENDING)
FAILED = (NotificationStatus.FAILED, NotificationStatus.CANCELLED)


def _visible(turn: Turn) -> object:
    """Broadcasts this person may see: their own and those of the classes they lead."""
    me = turn.person_id()
    led = select(Membership.class_id).where(Membership.person_id == me, Membership.role == Role.CLASS_TEACHER)
    return (col(Broadcast.author_id) == me) | col(Broadcast.class_id).in_(led)


def latest(turn: Turn) -> list[Reply]:
    """/report: the person's latest broadcast."""
    return reports_for(turn, None)


def on_button(turn: Turn) -> list[Reply]:
    """The report button under a confirmation (a class teacher's announcement, a tutor's post)."""
    return reports_for(turn, (turn.inbound.choice or "").rpartition(":")[2])


def reports_for(turn: Turn, raw_id: str | None) -> list[Reply]:
    """The report of broadcast `raw_id`, or of the person's latest one when None."""
    statement = select(Broadcast).where(_visible(turn))  # type: ignore[arg-type]
    if raw_id is not None:
        if not raw_id.isdigit():
            return not_allowed()
        broadcast = turn.session.exec(statement.where(Broadcast.id == int(raw_id))).first()
        if broadcast is None:
            return not_allowed()
    else:
        broadcast = turn.session.exec(statement.order_by(col(Broadcast.id).desc())).first()
        if broadcast is None:
            return [Reply(T("broadcast.report.none"))]
    return [report(turn, broadcast)]


def report(turn: Turn, broadcast: Broadcast) -> Reply:
    rows = turn.session.exec(
        select(Notification, Person)
        .join(Person, col(Person.id) == Notification.person_id, isouter=True)
        .where(Notification.broadcast_id == broadcast.id)
        .order_by(col(Person.full_name), col(Notification.id))
    ).all()
    people = [(row, person) for row, person in rows if person is not None]
    chat = next((row for row, person in rows if row.group_chat_id is not None), None)

    cut_short = _cut_short(turn, broadcast)

    def having(*statuses: NotificationStatus, cut: bool = False) -> list[str]:
        return [
            person.full_name
            for row, person in people
            if row.status in statuses and (row.id in cut_short) == cut
        ]

    failed, unreached = having(*FAILED), having(NotificationStatus.NO_CHANNEL)
    cut = having(NotificationStatus.SENT, cut=True)
    sent = to_local(
        broadcast.send_at or broadcast.confirmed_at or broadcast.created_at, turn.config.time_zone
    )
    return Reply(
        T(
            "broadcast.report",
            when=sent.strftime("%d.%m %H:%M"),
            excerpt=headline(broadcast.text, EXCERPT_CHARS),
            delivered=len(having(NotificationStatus.SENT)),
            cut=len(cut),
            cut_names=Names(tuple(cut), NONE),
            waiting=len(having(*WAITING)),
            failed=len(failed),
            failed_names=Names(tuple(failed), NONE),
            no_channel=len(unreached),
            no_channel_names=Names(tuple(unreached), NONE),
            chat=_chat_line(chat),
        )
    )


def _cut_short(turn: Turn, broadcast: Broadcast) -> set[int]:
    """The broadcast's notifications delivered cut short (their last attempt says so)."""
    return set(
        turn.session.exec(
            select(DeliveryAttempt.notification_id)
            .join(Notification, col(Notification.id) == DeliveryAttempt.notification_id)
            .where(
                Notification.broadcast_id == broadcast.id,
                DeliveryAttempt.outcome == AttemptOutcome.CUT.value,
            )
        ).all()
    )


def _chat_line(row: Notification | None) -> Text | str:
    if row is None:
        return ""
    if row.status == NotificationStatus.SENT:
        return T("broadcast.report.chat_delivered")
    if row.status in WAITING:
        return T("broadcast.report.chat_waiting")
    return T("broadcast.report.chat_failed")
