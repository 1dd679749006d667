"""Delivery that names people: which channel failed and why, whether the message got through on
another one, who was not reached at all (with the numbers to call), and what goes to the families
on post in their class's next Kazpost round.

Why a channel failed is read from the attempt's error (`reason_of`): WhatsApp refuses free text
outside the 24 hours after the person last wrote and we hold no template for it; Twilio says the
number is a landline, sent STOP, is not on WhatsApp, does not exist or is blocked; Telegram says
the person blocked the bot; the provider kept failing. Why a person was not reached at all is read
from their channels as they are now (`why_unreached`): none, only post, STOP on every one, blocked.
Messages are those created in the period, to the people of a scope (`Scope.audience`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select, union
from sqlmodel import Session, col

from models.clock import to_utc
from models.enums import AttemptOutcome, Channel, NotificationStatus, PostalItemStatus
from models.outbox import DeliveryAttempt, Notification
from models.people import ChannelIdentity, Guardianship, Membership, Person
from models.postal import PostalItem, PostalRound, PostalSchedule
from models.school import SchoolClass
from monitoring.figures import Reading
from monitoring.paging import Page
from monitoring.sql import Rows, alphabetical, contains, pupil_membership
from scheduler.postal import pending_homework

# Twilio's and Telegram's error codes, as `DeliveryAttempt.error` holds them ("400:63016",
# "undelivered:30006", "403"), and the words of the senders' own refusals.
CODE_REASONS = {
    "63016": "window",
    "30006": "landline",
    "21614": "landline",
    "21610": "stop",
    "63024": "not_on_whatsapp",
    "63003": "not_on_whatsapp",
    "21211": "bad_number",
    "21612": "bad_number",
    "30005": "bad_number",
    "30004": "number_blocked",
    "403": "bot_blocked",
}
TEXT_REASONS = (
    ("no template outside the 24-hour window", "window"),
    ("retries exhausted", "unavailable"),
)
FAILED = (AttemptOutcome.FAILED.value, AttemptOutcome.BLOCKED.value)
UNREACHED = (NotificationStatus.NO_CHANNEL.value, NotificationStatus.FAILED.value)
CHAT_CHANNELS = (Channel.TELEGRAM.value, Channel.WHATSAPP.value, Channel.SMS.value)


def reason_of(error: str | None, outcome: str | None = None) -> str:
    """Why an attempt failed, as one of the page's reasons."""
    text = (error or "").strip()
    for words, reason in TEXT_REASONS:
        if text.startswith(words):
            return reason
    for part in text.replace(" ", ":").split(":"):
        if part in CODE_REASONS:
            return CODE_REASONS[part]
    return "bot_blocked" if outcome == AttemptOutcome.BLOCKED.value else "other"


@dataclass(frozen=True)
class Failure:
    """Messages that failed on `channel` for `reason`, and where they went after."""

    channel: str
    reason: str
    messages: int
    then_delivered: Counter[str]  # by the channel that carried them in the end
    not_reached: int
    waiting: int


@dataclass
class Delivery:
    delivered: Counter[str] = field(default_factory=Counter)  # messages, by the channel that carried them
    failures: list[Failure] = field(default_factory=list)
    not_reached: int = 0
    cut: int = 0  # SMS that went cut short at the segment cap (sent, but not whole)


def _messages(reading: Reading) -> list[Any]:
    """Conditions on `Notification` keeping the period's messages to the scope's people; said on
    the row itself, so its index (person, moment, status, channel) answers without the table."""
    return [
        col(Notification.person_id).in_(reading.scope.audience()),
        col(Notification.created_at) >= reading.begin,
        col(Notification.created_at) < reading.after,
    ]


def delivery(session: Session, reading: Reading) -> Delivery:
    """Messages delivered per channel; failures per channel and reason with what became of the
    message; how many were never reached. Two passes over the period's messages: their outcomes,
    then their attempts that failed or were cut."""
    messages = _messages(reading)
    found = Delivery()
    for status, channel, count in session.execute(
        select(col(Notification.status), col(Notification.channel), func.count())
        .where(*messages)
        .group_by(col(Notification.status), col(Notification.channel))
    ).all():
        if status == NotificationStatus.SENT.value:
            found.delivered[channel or "none"] += count
        elif status in UNREACHED:
            found.not_reached += count
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for channel, error, outcome, status, final_channel, count, attempts in session.execute(
        select(
            col(DeliveryAttempt.channel),
            col(DeliveryAttempt.error),
            col(DeliveryAttempt.outcome),
            col(Notification.status),
            col(Notification.channel),
            func.count(func.distinct(col(DeliveryAttempt.notification_id))),
            func.count(),
        )
        .join(Notification, col(Notification.id) == col(DeliveryAttempt.notification_id))
        .where(
            *messages,
            col(DeliveryAttempt.outcome).in_((*FAILED, AttemptOutcome.CUT.value)),
        )
        .group_by(
            col(DeliveryAttempt.channel),
            col(DeliveryAttempt.error),
            col(DeliveryAttempt.outcome),
            col(Notification.status),
            col(Notification.channel),
        )
    ).all():
        if outcome == AttemptOutcome.CUT.value:
            found.cut += int(attempts)
            continue
        entry = grouped.setdefault(
            (channel, reason_of(error, outcome)), {"messages": 0, "then": Counter(), "lost": 0, "waiting": 0}
        )
        entry["messages"] += count
        if status == NotificationStatus.SENT.value:
            entry["then"][final_channel or "none"] += count
        elif status in UNREACHED:
            entry["lost"] += count
        else:
            entry["waiting"] += count
    found.failures = [
        Failure(channel, reason, e["messages"], e["then"], e["lost"], e["waiting"])
        for (channel, reason), e in sorted(grouped.items(), key=lambda item: (-item[1]["messages"], item[0]))
    ]
    return found


# -- who was not reached ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Unreached:
    """A person no channel reached, the pupil they are about, why, and how to reach them."""

    person_id: int
    name: str
    phone: str
    pupil: str
    class_name: str
    messages: int
    last: datetime | None
    why: str


def unreached(
    session: Session, reading: Reading, *, search: str = "", page: int = 1, size: int = 25
) -> Page[Unreached]:
    """People with messages in the period that no channel carried: the "call these families" list,
    most messages first."""
    rows = (
        select(
            col(Notification.person_id).label("person_id"),
            func.count().label("messages"),
            func.max(col(Notification.created_at)).label("last"),
        )
        .where(*_messages(reading), col(Notification.status).in_(UNREACHED))
        .group_by(col(Notification.person_id))
        .subquery()
    )
    statement = select(
        rows.c.person_id, rows.c.messages, rows.c.last, col(Person.full_name), col(Person.phone)
    ).join(Person, col(Person.id) == rows.c.person_id)
    if search.strip():
        statement = statement.where(contains(session, col(Person.full_name), search.strip()))
    total = int(session.execute(select(func.count()).select_from(statement.subquery())).scalar_one())
    found: Page[Unreached] = Page(number=page, size=size, total=total)
    listed = session.execute(
        statement.order_by(
            rows.c.messages.desc(),
            alphabetical(session, col(Person.full_name), reading.language),
            rows.c.person_id,
        )
        .limit(found.size)
        .offset(found.offset)
    ).all()
    ids = [row.person_id for row in listed]
    pupils = _pupils_of(session, ids)
    reasons = why_unreached(session, ids)
    for person_id, messages, last, name, phone in listed:
        pupil, class_name = pupils.get(person_id, ("", ""))
        found.items.append(
            Unreached(
                person_id,
                name,
                phone or "",
                pupil,
                class_name,
                int(messages),
                _moment(last),
                reasons[person_id],
            )
        )
    return found


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _pupils_of(session: Session, people: list[int]) -> dict[int, tuple[str, str]]:
    """Each person's pupil (themselves, or their child) and the pupil's class."""
    pupil = func.coalesce(col(Guardianship.pupil_id), col(Person.id))
    rows = session.execute(
        select(col(Person.id), pupil, col(Membership.person_id), col(SchoolClass.name))
        .outerjoin(Guardianship, col(Guardianship.guardian_id) == col(Person.id))
        .outerjoin(Membership, pupil_membership(pupil))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(col(Person.id).in_(people))
    ).all()
    names = dict(
        session.execute(
            select(col(Person.id), col(Person.full_name)).where(col(Person.id).in_({r[1] for r in rows}))
        ).all()
    )
    return {person: (names.get(child, ""), class_name or "") for person, child, _member, class_name in rows}


def why_unreached(session: Session, people: list[int]) -> dict[int, str]:
    """Why no channel reaches each person now: no channel at all, post only, STOP, blocked; or the
    reason their last chat attempt failed."""
    identities: dict[int, list[tuple[str, bool, bool]]] = {person: [] for person in people}
    for person, channel, blocked, stopped in session.execute(
        select(
            col(ChannelIdentity.person_id),
            col(ChannelIdentity.channel),
            col(ChannelIdentity.blocked_at).is_not(None),
            col(ChannelIdentity.opted_out_at).is_not(None),
        ).where(col(ChannelIdentity.person_id).in_(people))
    ).all():
        identities[person].append((channel, bool(blocked), bool(stopped)))
    last_errors = _last_errors(session, people)
    found = {}
    for person, channels in identities.items():
        chats = [c for c in channels if c[0] in CHAT_CHANNELS]
        if not channels:
            found[person] = "no_channel"
        elif not chats:
            found[person] = "post"
        elif all(stopped for _c, _b, stopped in chats):
            found[person] = "stop"
        elif all(blocked or stopped for _c, blocked, stopped in chats):
            found[person] = last_errors.get(person, "bot_blocked")
        else:
            found[person] = last_errors.get(person, "other")
    return found


def _last_errors(session: Session, people: list[int]) -> dict[int, str]:
    newest = (
        select(func.max(col(DeliveryAttempt.id)))
        .join(Notification, col(Notification.id) == col(DeliveryAttempt.notification_id))
        .where(col(Notification.person_id).in_(people), col(DeliveryAttempt.outcome).in_(FAILED))
        .group_by(col(Notification.person_id))
    )
    return {
        person: reason_of(error, outcome)
        for person, error, outcome in session.execute(
            select(col(Notification.person_id), col(DeliveryAttempt.error), col(DeliveryAttempt.outcome))
            .join(Notification, col(Notification.id) == col(DeliveryAttempt.notification_id))
            .where(col(DeliveryAttempt.id).in_(newest))
        ).all()
    }


# -- the next Kazpost round -------------------------------------------------------------------------


@dataclass(frozen=True)
class PostFamily:
    """A pupil whose family is on post, and what their next Kazpost round carries."""

    pupil_id: int
    name: str
    class_name: str
    class_id: int
    address: str
    collection: date | None  # none: the class has no Kazpost schedule yet
    homework: list[str]
    carried: int  # work missing in an earlier round, collected again
    notices: int  # messages no channel carried since the last round, to go on paper


def on_post_pupils() -> Rows:
    """The pupils whose family is on post: marked so themselves or through a parent, or with a
    Kazpost address of their own or a parent's. A union of short lists (people marked by post, post
    addresses, their children), so the database reads those few rows, not every pupil's family."""
    on_post_people = union(
        select(col(Person.id)).where(col(Person.by_post).is_(True)),
        select(col(ChannelIdentity.person_id)).where(col(ChannelIdentity.channel) == Channel.POST.value),
    ).subquery()
    children = select(col(Guardianship.pupil_id)).where(
        col(Guardianship.guardian_id).in_(select(on_post_people.c[0]))
    )
    return select(union(select(on_post_people.c[0]), children).subquery().c[0])


def on_post(
    session: Session, reading: Reading, *, search: str = "", page: int = 1, size: int = 25
) -> Page[PostFamily]:
    """The pupils of a scope whose families are on post, by class and name, with their next round;
    what a round carries is read for the page's pupils only, a few queries for all of them."""
    statement = _on_post_rows(reading)
    if search.strip():
        statement = statement.where(
            or_(
                contains(session, col(Person.full_name), search.strip()),
                contains(session, col(SchoolClass.name), search.strip()),
            )
        )
    counted = statement.with_only_columns(col(Person.id))
    total = int(session.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    found: Page[PostFamily] = Page(number=page, size=size, total=total)
    listed = session.execute(
        statement.order_by(
            alphabetical(session, col(SchoolClass.name), reading.language),
            alphabetical(session, col(Person.full_name), reading.language),
            col(Person.id),
        )
        .limit(found.size)
        .offset(found.offset)
    ).all()
    found.items = _next_rounds(session, reading, listed)
    return found


def post_family(session: Session, reading: Reading, pupil_id: int) -> PostFamily | None:
    """One pupil's family on post and their next round, as the delivery page lists it; None when the
    family is not on post (or the pupil not in the reader's scope). Most families are not: two
    look-ups by the pupil's family say so before the list's reading is made for one."""
    if not _family_on_post(session, pupil_id):
        return None
    listed = session.execute(_on_post_rows(reading).where(col(Person.id) == pupil_id)).all()
    return next(iter(_next_rounds(session, reading, listed[:1])), None)


def _family_on_post(session: Session, pupil_id: int) -> bool:
    """Whether the pupil is one of `on_post_pupils`: they or a parent marked by post, or with a
    Kazpost address."""
    family = [
        pupil_id,
        *session.execute(select(col(Guardianship.guardian_id)).where(col(Guardianship.pupil_id) == pupil_id))
        .scalars()
        .all(),
    ]
    marked = select(col(Person.id)).where(col(Person.id).in_(family), col(Person.by_post).is_(True))
    posted = select(col(ChannelIdentity.person_id)).where(
        col(ChannelIdentity.person_id).in_(family), col(ChannelIdentity.channel) == Channel.POST.value
    )
    return session.execute(union(marked, posted).limit(1)).first() is not None


def _on_post_rows(reading: Reading) -> Rows:
    """(pupil, name, address, class name, class id) of the scope's pupils whose families are on post."""
    return (
        select(
            col(Person.id),
            col(Person.full_name),
            col(Person.postal_address),
            col(SchoolClass.name),
            col(SchoolClass.id),
        )
        .join(Membership, pupil_membership(col(Person.id)))
        .join(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(col(Person.id).in_(on_post_pupils()), reading.scope.covers(Person.id))
    )


def _next_rounds(session: Session, reading: Reading, listed: Sequence[Any]) -> list[PostFamily]:
    """What the next round of each listed pupil's class carries for them."""
    pupils = [row[0] for row in listed]
    schedules = {
        s.class_id: s
        for s in session.execute(
            select(PostalSchedule).where(col(PostalSchedule.class_id).in_({row[4] for row in listed}))
        ).scalars()
    }
    families = _families(session, pupils)
    addresses = _post_addresses(session, families)
    carried = _carried(session, pupils)
    notices = _notices(session, families, {row[0]: row[4] for row in listed})
    found = []
    for pupil_id, name, address, class_name, class_id in listed:
        schedule = schedules.get(class_id)
        collection = schedule.collection_on_or_after(reading.today) if schedule is not None else None
        found.append(
            PostFamily(
                pupil_id,
                name,
                class_name,
                class_id,
                address or addresses.get(pupil_id, ""),
                collection,
                _homework_for(session, pupil_id, collection, reading),
                carried.get(pupil_id, 0),
                notices.get(pupil_id, 0),
            )
        )
    return found


def _families(session: Session, pupils: list[int]) -> dict[int, list[int]]:
    """Each pupil and their parents, the pupil first."""
    found: dict[int, list[int]] = {pupil: [pupil] for pupil in pupils}
    for pupil, guardian in session.execute(
        select(col(Guardianship.pupil_id), col(Guardianship.guardian_id))
        .where(col(Guardianship.pupil_id).in_(pupils))
        .order_by(col(Guardianship.id))
    ).all():
        found[pupil].append(guardian)
    return found


def _post_addresses(session: Session, families: dict[int, list[int]]) -> dict[int, str]:
    """Where a family's post goes: the pupil's own Kazpost address, else a parent's."""
    people = {person for family in families.values() for person in family}
    address = dict(
        session.execute(
            select(col(ChannelIdentity.person_id), col(ChannelIdentity.address))
            .where(
                col(ChannelIdentity.person_id).in_(people), col(ChannelIdentity.channel) == Channel.POST.value
            )
            .order_by(col(ChannelIdentity.id).desc())  # the first one written wins
        ).all()
    )
    return {
        pupil: next((address[person] for person in family if address.get(person)), "")
        for pupil, family in families.items()
    }


def _homework_for(session: Session, pupil_id: int, collection: date | None, reading: Reading) -> list[str]:
    if collection is None:
        return []
    due_before = to_utc(datetime.combine(collection + timedelta(days=1), time(0)), reading.zone)
    return [homework.title for homework in pending_homework(session, pupil_id, due_before)]


def _carried(session: Session, pupils: list[int]) -> dict[int, int]:
    """Per pupil: work missing in an earlier round and not yet carried into a later one."""
    carried_again = select(col(PostalItem.carried_from_id)).where(
        col(PostalItem.pupil_id).in_(pupils), col(PostalItem.carried_from_id).is_not(None)
    )
    return dict(
        session.execute(
            select(col(PostalItem.pupil_id), func.count())
            .where(
                col(PostalItem.pupil_id).in_(pupils),
                col(PostalItem.status) == PostalItemStatus.MISSING.value,
                col(PostalItem.id).not_in(carried_again),
            )
            .group_by(col(PostalItem.pupil_id))
        ).all()
    )


def _notices(session: Session, families: dict[int, list[int]], classes: dict[int, int]) -> dict[int, int]:
    """Per pupil: messages to the family that no channel carried since the class's last round."""
    last_rounds = dict(
        session.execute(
            select(col(PostalRound.class_id), func.max(col(PostalRound.created_at)))
            .where(col(PostalRound.class_id).in_(set(classes.values())))
            .group_by(col(PostalRound.class_id))
        ).all()
    )
    found: dict[int, int] = {}
    for class_id in set(classes.values()):
        pupils_of: dict[int, list[int]] = {}  # a parent of two pupils counts for both
        for pupil, family in families.items():
            if classes[pupil] == class_id:
                for person in family:
                    pupils_of.setdefault(person, []).append(pupil)
        statement = (
            select(col(Notification.person_id), func.count())
            .where(
                col(Notification.person_id).in_(pupils_of),
                col(Notification.status) == NotificationStatus.NO_CHANNEL.value,
            )
            .group_by(col(Notification.person_id))
        )
        if last_rounds.get(class_id) is not None:
            statement = statement.where(col(Notification.created_at) > last_rounds[class_id])
        for person, count in session.execute(statement).all():
            for pupil in pupils_of[person]:
                found[pupil] = found.get(pupil, 0) + int(count)
    return found
