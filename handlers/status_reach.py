"""What `/status` adds for the assistant teacher whose job is that pupils join on time: per group, who
has not joined the bot yet (`models.invites.invite_states`, as the class teacher's /invite counts
them), and one tap to remind the parents who have not decided on consent.

The reminder is the dashboard's ("needs attention", `bots.web.reminders`): the same text and the
same idempotency key, one per pupil, parent and local day, so a parent reminded from the dashboard
and from the chat on the same day gets it once. The press is written to the audit log.
"""

from __future__ import annotations

from sqlmodel import col, select

from handlers.attendance import pupils_of
from handlers.audit import audit
from handlers.context import Turn
from handlers.groups import staff_groups
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T, Text
from locales.collation import Names
from models.clock import to_local
from models.consent_rules import has_consent
from models.invites import JOINED, invite_states
from models.outbox import Notification
from models.people import Guardianship, Person
from models.store import stored_id
from outbox.write import enqueue

PREFIX = "st:consent:"
NONE = "—"


def not_joined(turn: Turn, pupils: list[Person]) -> Reply | None:
    """The group's pupils who have not joined the bot, when there are any."""
    states = invite_states(turn.session, [p.id or 0 for p in pupils], turn.now)
    waiting = [p for p in pupils if states.get(p.id or 0, ("",))[0] != JOINED]
    if not waiting:
        return None
    names = Names(tuple(p.full_name for p in waiting), NONE)
    return Reply(N("walk.status.not_joined", "count", count=len(waiting), pupils=names))


def consent_choices(group_id: int, undecided: list[Person]) -> tuple[Choice, ...]:
    """The button under a group's consent line, while some pupils have no consent."""
    if not undecided:
        return ()
    return (Choice(f"{PREFIX}{group_id}", N("walk.status.remind_consent", "count", count=len(undecided))),)


def remind_consent(turn: Turn) -> list[Reply]:
    """The parents of each pupil of the group without consent are asked to decide."""
    raw = (turn.inbound.choice or "").removeprefix(PREFIX)
    group = next((g for g in staff_groups(turn) if str(g.id) == raw), None)
    if group is None:
        return not_allowed()
    undecided = [p for p in pupils_of(turn, group.id or 0) if not has_consent(turn.session, p.id or 0)]
    day = to_local(turn.now, turn.config.time_zone).date().isoformat()
    outcomes = [_remind(turn, pupil, parent, day) for pupil in undecided for parent in _parents(turn, pupil)]
    sent = sum(outcomes)
    audit(turn, "status.consent_reminded", "group", group.id, pupils=[p.id for p in undecided], sent=sent)
    return [Reply(T("status.nudged", sent=sent, already=len(outcomes) - sent))]


def _parents(turn: Turn, pupil: Person) -> list[int]:
    return list(
        turn.session.exec(
            select(Guardianship.guardian_id)
            .where(Guardianship.pupil_id == pupil.id)
            .order_by(col(Guardianship.guardian_id))
        ).all()
    )


def _remind(turn: Turn, pupil: Person, parent: int, day: str) -> bool:
    """One reminder unless it went today (from here or the dashboard)."""
    text = T("overview.remind.consent", pupil=pupil.full_name)
    key = f"remind:consent:{pupil.id}:{parent}:{day}:"
    return send_once(turn, "consent.school_reminder", text, key, parent, stored_id(pupil))


def send_once(turn: Turn, kind: str, text: Text, key: str, person_id: int, about_pupil_id: int) -> bool:
    """One outbox row, unless one with this key was written already (a reminder of today) or the
    consent gate holds it: False then."""
    if turn.session.exec(select(Notification.id).where(Notification.idempotency_key == key)).first():
        return False
    row = enqueue(
        turn.session,
        kind=kind,
        text=text,
        idempotency_key=key,
        person_id=person_id,
        about_pupil_id=about_pupil_id,
    )
    return row is not None
