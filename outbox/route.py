"""Routing: which channels a notification may take, in which language, under which quiet hours.

A person's channel identities are tried in their `priority` order (lowest first), skipping blocked
and opted-out ones and any that already failed permanently for this notification. A `post` identity
ends the route: the person is reached by phone or on paper, through the class teacher's list —
except for the Kazpost messages themselves (kinds `postal.…`), which skip it and go through any
other channel the person has, SMS included.
A group chat is a Telegram chat, rendered in the default language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from models.enums import Channel
from models.people import ChannelIdentity, Person
from settings import Settings

WHATSAPP_SESSION = timedelta(hours=24)
POSTAL_KIND_PREFIX = "postal."


@dataclass(frozen=True)
class Target:
    channel: str
    address: str
    identity_id: int | None
    is_group: bool = False
    within_session: bool = True

    @property
    def chat(self) -> str:
        """The pacing key: one per chat or number."""
        return f"{self.channel}:{self.address}"


@dataclass(frozen=True)
class Plan:
    locale: str
    quiet: tuple[time, time]
    targets: list[Target] = field(default_factory=list)
    ends_in_post: bool = False


MESSENGERS = (Channel.TELEGRAM.value, Channel.WHATSAPP.value, Channel.SMS.value)


def in_a_chat(session: Session, person_ids: Collection[int]) -> set[int]:
    """Which of these people a message can reach in a chat now: a Telegram, WhatsApp or SMS
    identity, not blocked and not stopped (someone not yet joined has none; post is not a chat)."""
    if not person_ids:
        return set()
    found = session.exec(
        select(ChannelIdentity.person_id).where(
            col(ChannelIdentity.person_id).in_(sorted(person_ids)),
            col(ChannelIdentity.channel).in_(MESSENGERS),
            col(ChannelIdentity.blocked_at).is_(None),
            col(ChannelIdentity.opted_out_at).is_(None),
        )
    ).all()
    return {person_id for person_id in found if person_id is not None}


def within_whatsapp_session(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Free text on WhatsApp only within 24 hours of the person's last message; templates after."""
    return last_inbound_at is not None and now - last_inbound_at < WHATSAPP_SESSION


_PEOPLE = Person.__table__  # type: ignore[attr-defined]
_IDENTITIES = ChannelIdentity.__table__  # type: ignore[attr-defined]
# What a plan reads of a person and of their identities: plain rows (Core, on the session's
# connection), as building ORM objects for every recipient of a batch cost more than the reading.
_PEOPLE_OF = sqlalchemy.select(
    _PEOPLE.c.id, _PEOPLE.c.locale, _PEOPLE.c.quiet_start, _PEOPLE.c.quiet_end
).where(_PEOPLE.c.id.in_(bindparam("ids", expanding=True)))
_IDENTITIES_OF = (
    sqlalchemy.select(
        _IDENTITIES.c.id,
        _IDENTITIES.c.person_id,
        _IDENTITIES.c.channel,
        _IDENTITIES.c.address,
        _IDENTITIES.c.chat_id,
        _IDENTITIES.c.blocked_at,
        _IDENTITIES.c.opted_out_at,
        _IDENTITIES.c.last_inbound_at,
    )
    .where(_IDENTITIES.c.person_id.in_(bindparam("ids", expanding=True)))
    .order_by(_IDENTITIES.c.priority, _IDENTITIES.c.id)
)


@dataclass(frozen=True)
class Recipients:
    """What plans read of the recipients of a batch: their people and identities (plain rows)."""

    people: dict[int | None, Any]  # rows of _PEOPLE_OF by id
    identities: dict[int | None, list[Any]]  # rows of _IDENTITIES_OF by person, in priority order


def recipients_of(session: Session, notifications: Iterable[Any]) -> Recipients:
    """The people the notifications go to, and their identities, with one query per table.
    `notifications`: rows with `person_id` and `group_chat_id` (the claim's plain rows, or objects)."""
    person_ids = sorted(
        {n.person_id for n in notifications if n.person_id is not None and n.group_chat_id is None}
    )
    people: dict[int | None, Any] = {}
    identities: dict[int | None, list[Any]] = defaultdict(list)
    if person_ids:
        connection = session.connection()
        people = {p.id: p for p in connection.execute(_PEOPLE_OF, {"ids": person_ids})}
        for identity in connection.execute(_IDENTITIES_OF, {"ids": person_ids}):
            identities[identity.person_id].append(identity)
    return Recipients(people, identities)


def plan_many(
    notifications: Sequence[Any],  # rows with id, person_id, group_chat_id and kind
    recipients: Recipients,
    failed: Mapping[int, set[int | None]],
    settings: Settings,
    now: datetime,
) -> dict[int, Plan]:
    """The plan of each notification (by id); `failed`: the identities that failed for each."""
    return {
        n.id: _plan(
            n,
            recipients.people.get(n.person_id),
            recipients.identities.get(n.person_id, []),
            failed.get(n.id, set()),
            settings,
            now,
        )
        for n in notifications
        if n.id is not None
    }


def _plan(
    notification: Any,  # a row with person_id, group_chat_id and kind
    person: Any,  # a row of _PEOPLE_OF, or None
    identities: list[Any],  # rows of _IDENTITIES_OF
    failed: set[int | None],
    settings: Settings,
    now: datetime,
) -> Plan:
    default_quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
    if notification.group_chat_id is not None:
        target = Target(Channel.TELEGRAM.value, str(notification.group_chat_id), None, is_group=True)
        return Plan(settings.default_locale, default_quiet, [target])
    if person is None:
        return Plan(settings.default_locale, default_quiet)
    quiet = (
        (person.quiet_start, person.quiet_end)
        if person.quiet_start is not None and person.quiet_end is not None
        else default_quiet
    )
    targets: list[Target] = []
    for identity in identities:
        if identity.blocked_at is not None or identity.opted_out_at is not None or identity.id in failed:
            continue
        if identity.channel == Channel.POST:
            if notification.kind.startswith(POSTAL_KIND_PREFIX):
                continue
            return Plan(person.locale, quiet, targets, ends_in_post=True)
        address = str(identity.chat_id) if identity.chat_id is not None else identity.address
        session_open = (
            within_whatsapp_session(identity.last_inbound_at, now)
            if identity.channel == Channel.WHATSAPP
            else True
        )
        targets.append(Target(identity.channel, address, identity.id, within_session=session_open))
    return Plan(person.locale, quiet, targets)


def in_quiet_hours(local: time, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_ends(now_local: datetime, quiet: tuple[time, time]) -> datetime:
    """The next end of quiet hours after `now_local` (aware, in the local zone)."""
    end = now_local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    if end <= now_local:
        end += timedelta(days=1)
    return end
