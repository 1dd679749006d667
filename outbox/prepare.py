"""Preparing claimed rows for their sends: the last consent check, quiet hours, the route, the text
to be rendered in the recipient's language for the channel it goes out on (`render`, once the
channel is chosen). The attempt is recorded as begun before anything is sent (`outbox.attempts`).

Quiet hours (the person's own, else the settings', in local time): a non-urgent row due then is
deferred to their end; an urgent one goes and is logged. A row whose last attempt was interrupted
(its dispatcher stopped or died before storing the outcome) carries that attempt's start
(`Prepared.unsettled`), so a provider that can be asked is asked before the message goes again.
"""

from __future__ import annotations

import json
import logging
import string
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, bindparam, union
from sqlmodel import Session, col, select

from locales import Text, language_of, render_value, template_of
from models.consent_rules import reachable
from models.enums import AttemptOutcome, NotificationStatus, Role
from models.outbox import DeliveryAttempt, Notification
from models.people import Guardianship, Membership
from models.school import GroupMember
from outbox.claim import claim_in
from outbox.route import Plan, Target, in_quiet_hours, plan_many, quiet_ends, recipients_of
from outbox.settle import audit, unreached
from outbox.write import text_of
from settings import Settings

log = logging.getLogger("ustaz.outbox")


@dataclass(frozen=True)
class Prepared:
    """A claimed row ready to send: its text read, its route planned."""

    notification_id: int
    person_id: int | None
    kind: str
    key: str
    stored: str  # the message's params as stored: JSON text
    media_path: str | None
    plan: Plan
    # The last attempt's channel, identity and start, when its outcome was never stored.
    unsettled: tuple[str, int | None, datetime] | None = None

    def unsettled_on(self, target: Target) -> datetime | None:
        """When the interrupted attempt on this target started (None: nothing to look up)."""
        if self.unsettled is None:
            return None
        channel, identity_id, started_at = self.unsettled
        return started_at if (channel, identity_id) == (target.channel, target.identity_id) else None

    def rendered(self, channel: str) -> tuple[str, tuple[str, ...]]:
        """The message in the recipient's language for `channel` (see `render`)."""
        return rendered(self.plan.locale, channel, self.key, self.stored)


def render(locale: str, message: Text, channel: str = "") -> tuple[str, tuple[str, ...]]:
    """The message in `locale` for `channel`, and its parameters in the order the text uses them
    (a WhatsApp template's variables)."""
    language = language_of(locale)
    number = message.params.get(message.count) if message.count else None
    template = template_of(language, message.key, channel, number, plural=bool(message.count))
    ordered = [name for name in placeholders(template) if name in message.params]
    values = tuple(str(render_value(message.params[name], language, channel)) for name in ordered)
    return message.render(language, channel), values


@lru_cache(maxsize=512)
def rendered(locale: str, channel: str, key: str, stored: str) -> tuple[str, tuple[str, ...]]:
    """`render` of a stored message, once per message, language and channel: all the recipients of a
    broadcast or a reminder read the same text in their language, and rendering it anew for each
    one cost more than the store work of the send. Rendering reads only the catalogues, loaded once
    per process."""
    return render(locale, text_of(key, json.loads(stored)), channel)


@lru_cache(maxsize=1024)
def placeholders(template: str) -> tuple[str, ...]:
    """The names a catalogue text uses, each once, in order (parsed once per text, not per send)."""
    names = (name for _literal, name, _spec, _conv in string.Formatter().parse(template) if name)
    return tuple(dict.fromkeys(names))


def claim_and_prepare(
    engine: Engine,
    worker: str,
    limit: int,
    *,
    settings: Settings,
    channels: Collection[str],
    clock: Callable[[], datetime],
) -> tuple[int, list[Prepared]]:
    """Claim up to `limit` due rows for `worker` (`outbox.claim`) and prepare them, in one
    transaction; how many were claimed, and those to send now (not those whose consent was withdrawn,
    deferred for quiet hours, or only reachable by post)."""
    now = clock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        rows = claim_in(session, worker, limit, now)
        prepared = _prepare_in(session, rows, settings, channels, now) if rows else []
    return len(rows), prepared


def _prepare_in(
    session: Session, rows: list[Any], settings: Settings, channels: Collection[str], now: datetime
) -> list[Prepared]:
    """Prepare the claimed rows (plain rows of `outbox.claim.CLAIMED`, as the claim returned them:
    building ORM objects for a batch cost more than reading it)."""
    ids = [row.id for row in rows]
    failed, unsettled = _earlier_attempts(session, ids)
    routes = plan_many(rows, recipients_of(session, rows), failed, settings, now)
    pupils = _pupils_among(session, {row.person_id for row in rows if row.person_id is not None})
    local = now.astimezone(settings.zone)
    prepared = []
    for row in rows:
        ready = _prepare_row(session, row, routes[row.id], pupils, local, channels)
        if ready is not None:
            prepared.append(replace(ready, unsettled=unsettled[row.id]) if row.id in unsettled else ready)
    return prepared


# Built once, with expanding IN parameters: building a statement anew every round cost as much as
# running it. Every earlier attempt of the rows, oldest first (a fresh row has none).
_EARLIER = (
    sqlalchemy.select(
        col(DeliveryAttempt.notification_id),
        col(DeliveryAttempt.channel),
        col(DeliveryAttempt.identity_id),
        col(DeliveryAttempt.started_at),
        col(DeliveryAttempt.outcome),
    )
    .where(col(DeliveryAttempt.notification_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(DeliveryAttempt.id))
)
_PUPILS = union(
    select(Membership.person_id).where(
        col(Membership.person_id).in_(bindparam("ids", expanding=True)), Membership.role == Role.PUPIL.value
    ),
    select(Guardianship.pupil_id).where(col(Guardianship.pupil_id).in_(bindparam("ids", expanding=True))),
    select(GroupMember.pupil_id).where(col(GroupMember.pupil_id).in_(bindparam("ids", expanding=True))),
)


def _earlier_attempts(
    session: Session, notification_ids: list[int]
) -> tuple[dict[int, set[int | None]], dict[int, tuple[str, int | None, datetime]]]:
    """From the rows' earlier attempts, in one query: the identities that failed for each row (its
    route skips them), and for each row whose latest attempt was interrupted, that attempt's
    channel, identity and start."""
    failed: dict[int, set[int | None]] = defaultdict(set)
    latest: dict[int, tuple[str, int | None, datetime, str | None]] = {}
    for nid, channel, identity, started, outcome in session.execute(_EARLIER, {"ids": notification_ids}):
        if outcome == AttemptOutcome.FAILED.value:
            failed[int(nid)].add(identity)
        latest[int(nid)] = (str(channel), identity, started, outcome)
    unsettled = {
        nid: (channel, identity, started)
        for nid, (channel, identity, started, outcome) in latest.items()
        if outcome == AttemptOutcome.INTERRUPTED.value
    }
    return failed, unsettled


def _prepare_row(
    session: Session, row: Any, route: Plan, pupils: set[int], local: datetime, channels: Collection[str]
) -> Prepared | None:
    """The row ready to send, or None after withdrawing it (no consent), deferring it to the end of
    quiet hours, or putting it on the class teacher's list (only reachable by post). Those rare
    changes load the row as an object; the common path reads the claim's plain row."""
    if row.person_id in pupils and not reachable(session, row.person_id, kind=row.kind):
        _change(
            session,
            row.id,
            status=NotificationStatus.CANCELLED.value,
            last_error="no consent",
            claimed_by=None,
        )
        log.info("outbox: notification %s withdrawn, no consent", row.id)
        return None
    if in_quiet_hours(local.time(), route.quiet):
        if not row.urgent:
            until = quiet_ends(local, route.quiet)
            _change(
                session,
                row.id,
                status=NotificationStatus.PENDING.value,
                next_attempt_at=until,
                claimed_by=None,
                claimed_at=None,
            )
            return None
        log.info("outbox: urgent notification %s sent in quiet hours", row.id)
        audit(session, "notification.urgent_in_quiet_hours", row.id, person_id=row.person_id, kind=row.kind)
    if route.ends_in_post and not [t for t in route.targets if t.channel in channels]:
        stored = session.get(Notification, row.id)
        if stored is not None:
            unreached(session, stored, "post")
        return None
    return Prepared(row.id, row.person_id, row.kind, row.key, row.stored or "{}", row.media_path, route)


def _change(session: Session, notification_id: int, **values: Any) -> None:
    stored = session.get(Notification, notification_id)
    if stored is not None:
        for name, value in values.items():
            setattr(stored, name, value)


def _pupils_among(session: Session, person_ids: set[int]) -> set[int]:
    """Which of these people may be pupils (a pupil membership, a guardian, a tutoring group: as
    `models.consent_rules.is_pupil`): only they need the consent check before a send."""
    if not person_ids:
        return set()
    found = session.execute(_PUPILS, {"ids": sorted(person_ids)}).scalars()
    return {int(person_id) for person_id in found}
