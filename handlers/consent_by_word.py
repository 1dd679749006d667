"""A parent's «иә» / «да» / "yes" in answer to the school's request for consent.

The school asks a parent who has not decided (the dashboard's and the assistant's reminder, or the
one a pupil's message sets off: "… send КЕЛІСІМ"), often before the parent has ever written to the
bot. A parent who answers that message with a plain "yes" means consent to what it asked: the bot
takes it as such, rather than asking for a language first and the consent after.

It is taken only when it cannot mean anything else: the yes word alone; the last message the bot
sent this parent, within `WINDOW`, was such a request; and the requests name one
child only, on whom this parent has not decided; and the parent has not written since it was sent
(else the yes answers what the bot said in between). Consent stays per child: with requests about
several children the yes is answered with each child's own question. The decision is stored and
audited as any (with how it was given and which message asked), the confirmation says what is kept
and how to withdraw, and a parent who has not chosen a language is asked next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from handlers import catch_up, consent, language
from handlers.context import Turn
from handlers.family import children_of
from handlers.types import Reply
from locales import T
from models.outbox import Notification
from models.store import stored_id

# The outbox rows that ask a parent for their decision.
ASKING = ("consent.school_reminder", "consent.reminder")
WINDOW = timedelta(days=14)


def answer(turn: Turn) -> list[Reply] | None:
    """A yes to the school's request: the consent, or each child's question; None when the last
    message did not ask (the yes then answers whatever it answers elsewhere)."""
    asked = _asked(turn)
    if not asked:
        return None
    undecided = {
        stored_id(child): child
        for child in children_of(turn.session, turn.person_id())
        if consent.current(turn, turn.person_id(), stored_id(child)) is None
    }
    about = [undecided[pupil] for pupil in dict.fromkeys(asked) if pupil in undecided]
    if len(about) != 1:
        return consent.pending(turn) or None  # several children, or none left: each its question
    child = about[0]
    decision = consent.decide(
        turn, stored_id(child), given=True, how="yes_to_request", notification_id=asked_by(turn)
    )
    replies = [Reply(T("consent_by_word.saved", pupil=child.full_name, days=turn.config.retention_days))]
    caught_up = catch_up.consent_given(turn, child, decision)
    if turn.person is not None and turn.person.locale_chosen:
        return [*replies, *caught_up]
    # The child's summary comes with the language (`catch_up.joined`), in the one chosen.
    return [*replies, language.ask(turn)]


# When a message went: its send's time, or for one still "sending" (its send begun, its outcome not
# yet written: the dispatcher writes a round's outcomes together) the moment it was claimed. The
# parent may answer a message before its round is written down.
def _went_at() -> ColumnElement[datetime]:
    return func.coalesce(col(Notification.sent_at), col(Notification.claimed_at))


def _requests(turn: Turn) -> list[Notification]:
    """The messages sent to this parent within `WINDOW`, the latest first, on any channel (a request
    that went by SMS may be answered on WhatsApp)."""
    return list(
        turn.session.exec(
            select(Notification)
            .where(
                Notification.person_id == turn.person_id(),
                col(Notification.status).in_(("sent", "sending")),
                Notification.attempts > 0,
                _went_at() >= turn.now - WINDOW,
            )
            .order_by(_went_at().desc(), col(Notification.id).desc())
        ).all()
    )


def _asked(turn: Turn) -> list[int]:
    """The children the unanswered requests name, when the last message sent was one of them."""
    sent = _requests(turn)
    if not sent or sent[0].kind not in ASKING:
        return []
    went = sent[0].sent_at or sent[0].claimed_at
    if turn.wrote_before is not None and (went is None or went <= turn.wrote_before):
        return []  # the parent has written since: the bot's answer came after the request
    return [row.about_pupil_id for row in sent if row.kind in ASKING and row.about_pupil_id is not None]


def asked_by(turn: Turn) -> int | None:
    """The request the yes answers: the last message sent."""
    sent = _requests(turn)
    return sent[0].id if sent else None
