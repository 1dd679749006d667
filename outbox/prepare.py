"""Preparing claimed rows for their sends: the last consent check, quiet hours, the route, the text
to be rendered in the recipient's language for the channel it goes out on (`render`, once the
channel is chosen), and the attempt recorded as begun before anything is sent.

Quiet hours (the person's own, else the settings', in local time): a non-urgent row due then is
deferred to their end; an urgent one goes and is logged. A row whose last attempt was interrupted
(its dispatcher stopped or died before storing the outcome) carries that attempt's start
(`Prepared.unsettled`), so a provider that can be asked is asked before the message goes again.
"""

from __future__ import annotations

import logging
import string
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

import sqlalchemy
from sqlalchemy import Engine, bindparam, insert, union, update
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
from outbox.write import stored_text
from settings import Settings

log = logging.getLogger("ustaz.outbox")

_OUTBOX = Notification.__table__  # type: ignore[attr-defined]
_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]
BEGIN_ATTEMPT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("nid"))
    .values(attempts=_OUTBOX.c.attempts + 1, channel=bindparam("channel"), identity_id=bindparam("identity"))
)


@dataclass(frozen=True)
class Prepared:
    """A claimed row ready to send: its text read, its route planned."""

    notification_id: int
    person_id: int | None
    kind: str
    message: Text
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


def render(locale: str, message: Text, channel: str = "") -> tuple[str, tuple[str, ...]]:
    """The message in `locale` for `channel`, and its parameters in the order the text uses them
    (a WhatsApp template's variables)."""
    language = language_of(locale)
    number = message.params.get(message.count) if message.count else None
    template = template_of(language, message.key, channel, number, plural=bool(message.count))
    ordered = [name for name in placeholders(template) if name in message.params]
    values = tuple(str(render_value(message.params[name], language, channel)) for name in ordered)
    return message.render(language, channel), values


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
    transaction; how many were claimed, and those to send now (see `prepare_many`)."""
    now = clock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        ids = claim_in(session, worker, limit, now)
        prepared = _prepare_in(session, ids, worker, settings, channels, now) if ids else []
    return len(ids), [p for p in prepared if p is not None]


def prepare_many(
    engine: Engine,
    notification_ids: list[int],
    *,
    worker: str,
    settings: Settings,
    channels: Collection[str],
    clock: Callable[[], datetime],
) -> list[Prepared | None]:
    """Route and render the rows `worker` claimed, in one transaction; None for a row not to send now
    (no longer this worker's, consent withdrawn, deferred for quiet hours, only reachable by post)."""
    now = clock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return _prepare_in(session, notification_ids, worker, settings, channels, now)


def _prepare_in(
    session: Session,
    notification_ids: list[int],
    worker: str,
    settings: Settings,
    channels: Collection[str],
    now: datetime,
) -> list[Prepared | None]:
    rows = {row.id: row for row in session.exec(_CLAIMED, params={"ids": notification_ids}).all()}
    failed, unsettled = _earlier_attempts(session, notification_ids)
    routes = plan_many(list(rows.values()), recipients_of(session, rows.values()), failed, settings, now)
    pupils = _pupils_among(session, {r.person_id for r in rows.values() if r.person_id is not None})
    prepared = [
        _prepare_row(session, rows.get(i), routes, pupils, now, worker, settings, channels)
        for i in notification_ids
    ]
    return [
        replace(p, unsettled=unsettled[p.notification_id])
        if p is not None and p.notification_id in unsettled
        else p
        for p in prepared
    ]


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
_CLAIMED = select(Notification).where(col(Notification.id).in_(bindparam("ids", expanding=True)))
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
    session: Session,
    row: Notification | None,
    routes: Mapping[int, Plan],
    pupils: set[int],
    now: datetime,
    worker: str,
    settings: Settings,
    channels: Collection[str],
) -> Prepared | None:
    if row is None or row.id is None or row.status != NotificationStatus.SENDING or row.claimed_by != worker:
        return None
    if row.person_id in pupils and not reachable(session, row.person_id, kind=row.kind):
        row.status = NotificationStatus.CANCELLED.value
        row.last_error = "no consent"
        row.claimed_by = None
        log.info("outbox: notification %s withdrawn, no consent", row.id)
        return None
    route = routes[row.id]
    local = now.astimezone(settings.zone)
    if in_quiet_hours(local.time(), route.quiet):
        if not row.urgent:
            row.status = NotificationStatus.PENDING.value
            row.next_attempt_at = quiet_ends(local, route.quiet)
            row.claimed_by = None
            row.claimed_at = None
            return None
        log.info("outbox: urgent notification %s sent in quiet hours", row.id)
        audit(session, "notification.urgent_in_quiet_hours", row.id, person_id=row.person_id, kind=row.kind)
    if route.ends_in_post and not [t for t in route.targets if t.channel in channels]:
        unreached(session, row, "post")
        return None
    return Prepared(row.id, row.person_id, row.kind, stored_text(row), row.media_path, route)


def begin_attempts(
    engine: Engine, starts: list[tuple[int, Target]], clock: Callable[[], datetime]
) -> list[int]:
    """Record the attempts as begun (before any send), in one transaction; their ids in order."""
    now = clock()
    if len({notification_id for notification_id, _ in starts}) != len(starts):
        raise ValueError("one attempt at a time per notification")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        # A bulk INSERT … RETURNING, not ORM objects: building those was most of the batch's time.
        # Matched back by notification (one attempt each): RETURNING in the rows' own order costs a
        # statement a row on SQLite.
        returned = session.execute(
            insert(_ATTEMPTS).returning(_ATTEMPTS.c.notification_id, _ATTEMPTS.c.id),
            [
                {
                    "notification_id": notification_id,
                    "channel": target.channel,
                    "identity_id": target.identity_id,
                    "started_at": now,
                }
                for notification_id, target in starts
            ],
        )
        attempts = {int(notification_id): int(attempt_id) for notification_id, attempt_id in returned}
        ids = [attempts[notification_id] for notification_id, _ in starts]
        session.execute(
            BEGIN_ATTEMPT,
            [
                {"nid": notification_id, "channel": target.channel, "identity": target.identity_id}
                for notification_id, target in starts
            ],
        )
        return ids


def _pupils_among(session: Session, person_ids: set[int]) -> set[int]:
    """Which of these people may be pupils (a pupil membership, a guardian, a tutoring group: as
    `models.consent_rules.is_pupil`): only they need the consent check before a send."""
    if not person_ids:
        return set()
    found = session.execute(_PUPILS, {"ids": sorted(person_ids)}).scalars()
    return {int(person_id) for person_id in found}
