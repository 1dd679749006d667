"""What `/status` adds for the assistant teacher whose job is that pupils join on time: per group, who
has not joined the bot yet (`models.invites.invite_states`, as the class teacher's /invite counts
them), and one tap to remind the parents who have not decided on consent.

The reminder is the dashboard's ("needs attention", `bots.web.reminders`): the same text and the
same idempotency key, one per pupil, parent and local day, so a parent reminded from the dashboard
and from the chat on the same day gets it once. The press is written to the audit log.
"""

from __future__ import annotations

from handlers.attendance import pupils_of
from handlers.audit import audit
from handlers.context import Turn
from handlers.groups import staff_groups
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import N, T
from locales.collation import Names
from models.clock import to_local
from models.consent_rules import has_consent
from models.invites import JOINED, invite_states
from models.people import Person
from models.store import stored_id
from outbox.reminders import remind_parents

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
    outcomes = [
        written
        for pupil in undecided
        for written in remind_parents(
            turn.session,
            "consent",
            "consent.school_reminder",
            T("overview.remind.consent", pupil=pupil.full_name),
            stored_id(pupil),
            day,
        )
    ]
    sent = sum(outcomes)
    audit(turn, "status.consent_reminded", "group", group.id, pupils=[p.id for p in undecided], sent=sent)
    return [Reply(T("status.nudged", sent=sent, already=len(outcomes) - sent))]
