"""The weekly digest to parents: one message per family per week, made on the settings' day and time
(DIGEST_WEEKDAY, DIGEST_TIME: Sunday 19:00 local by default) and sent through the outbox.

For each child with consent in force: the week's lessons attended and missed, the work handed in and
the work missing at its deadline, new grades and each subject's quarter mark so far (the quarter of
the school's calendar; none in the summer, `assessment.texts.lines_so_far`), then next week's
lessons and deadlines. The quarter marks alone make no message: they go with a week that has
something to say. A child with nothing from the week and no deadline ahead is left out, and a family
with nothing at all gets no message. A parent who chose the messages without the digest (/digest)
gets none, nor does one with no chat to read it in (not joined, no number, stopped): a weekly row
for them would only fill the class teacher's list of people to reach by phone or paper. What a week
holds and how a child's part reads is `record.week`'s, which the summary a parent asks for mid-week
(`handlers.summary`) reads too.

`derive_digests` runs with every derivation (`scheduler.jobs.derive_due`) and makes the week's
digests once: within `grace` after the moment (a scheduler that was down at 19:00 still makes them
when it is back), each under the key `digest:{guardian_id}:{date}:`, and an audit row marks the week
as done, so later runs read one row instead of building them again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import Text
from models.clock import to_local
from models.consent_rules import with_consent
from models.journal import AuditLog
from models.news_rules import wants_digest
from models.people import Guardianship, Person
from outbox.route import in_a_chat
from outbox.write import enqueue
from record import week as weeks
from record.work import chunks
from settings import Settings

WEEK = weeks.WEEK
DONE = "digest.week_made"  # the audit row that marks a week's digests as made


@dataclass(frozen=True)
class DigestOptions:
    zone: ZoneInfo
    weekday: int = 6  # Monday is 0
    at: time = time(19, 0)
    grace: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> DigestOptions | None:
        """The settings' digest, or None when DIGEST_ENABLED is off."""
        if not settings.digest_enabled:
            return None
        options = cls(zone=settings.zone, weekday=settings.digest_weekday, at=settings.digest_time)
        return replace(options, **overrides)


def latest_moment(now: datetime, options: DigestOptions) -> datetime:
    """The last digest moment at or before `now` (aware UTC)."""
    return weeks.week_start(now, options.zone, options.weekday, options.at)


def derive_digests(session: Session, options: DigestOptions, now: datetime) -> int:
    """Make this week's digests if their moment has come and they are not made yet; how many."""
    moment = latest_moment(now, options)
    if now - moment >= options.grace:
        return 0
    day = to_local(moment, options.zone).date()
    done = select(AuditLog.id).where(AuditLog.action == DONE, AuditLog.entity_id == day.toordinal())
    if session.exec(done).first() is not None:
        return 0
    digests = build(session, moment, options.zone)
    written = 0
    for digest in digests:
        row = enqueue(
            session,
            kind="digest",
            text=digest.text,
            idempotency_key=f"digest:{digest.guardian_id}:{day.isoformat()}:",
            person_id=digest.guardian_id,
            about_pupil_id=digest.about_pupil_id,
            due_at=moment,
        )
        written += row is not None
    session.add(
        AuditLog(action=DONE, entity="digest", entity_id=day.toordinal(), detail={"written": written})
    )
    return written


@dataclass(frozen=True)
class Digest:
    guardian_id: int
    text: Text
    about_pupil_id: int | None  # the one child it is about, so withdrawn consent withdraws it


def build(session: Session, moment: datetime, zone: ZoneInfo) -> list[Digest]:
    """The digests of the week that ends at `moment`, one per family with something to say."""
    families = _families(session)
    pupil_ids = with_consent(session, {pupil for children in families.values() for pupil in children})
    names = weeks.names(session, pupil_ids)
    start = moment - WEEK
    week = weeks.read(session, pupil_ids, start, moment, zone)
    first, last = weeks.days_of(start, moment, zone)
    digests = []
    for guardian_id, children in families.items():
        blocks = [
            (child, block)
            for child in children
            if child in pupil_ids and (block := weeks.child(week, child, names[child], zone)) is not None
        ]
        if not blocks:
            continue
        text = weeks.family_text(weeks.DIGEST, first, last, [block for _, block in blocks])
        about = blocks[0][0] if len(blocks) == 1 else None
        digests.append(Digest(guardian_id, text, about))
    return digests


def _families(session: Session) -> dict[int, list[int]]:
    """Guardian id → their children's ids, for guardians in a chat who take the digest."""
    families: dict[int, list[int]] = defaultdict(list)
    for guardian_id, pupil_id, news in session.exec(
        select(Guardianship.guardian_id, Guardianship.pupil_id, Person.family_news)
        .join(Person, col(Person.id) == Guardianship.guardian_id)
        .order_by(col(Guardianship.guardian_id), col(Guardianship.pupil_id))
    ).all():
        if wants_digest(news):
            families[guardian_id].append(pupil_id)
    reachable = set()
    for part in chunks(families):
        reachable |= in_a_chat(session, part)
    return {guardian: children for guardian, children in families.items() if guardian in reachable}
