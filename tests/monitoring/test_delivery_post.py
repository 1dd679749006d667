"""The delivery page's families on post, read for a page of pupils at once: each family's own Kazpost
address, the work missing in an earlier round and not carried yet, and the messages no channel
carried since the class's last round."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.clock import utcnow
from models.enums import Role
from models.outbox import Notification
from models.people import ChannelIdentity, Guardianship, Membership
from models.postal import PostalItem, PostalRound
from models.store import session_scope
from monitoring import periods
from monitoring.delivery import on_post
from monitoring.figures import Reading
from monitoring.scope import Scope
from settings.environment import DEFAULT_TIME_ZONE
from tests.support.sample import sample_school

ZONE = ZoneInfo(DEFAULT_TIME_ZONE)


def _reading(scope: Scope) -> Reading:
    now = utcnow()
    return Reading(scope, periods.current_quarter(now.astimezone(ZONE).date()), ZONE, now)


def _lost(session: Session, person_id: int, key: str) -> None:
    session.add(
        Notification(
            idempotency_key=key, person_id=person_id, kind="test", key="k", status="no_channel", channel="sms"
        )
    )


def test_each_family_on_post_gets_its_own_parents_address_and_counts(engine: Engine) -> None:
    school, scope = engine, sample_school(engine)
    reading = _reading(scope)
    with Session(school) as session:
        addresses = {
            pupil: address
            for pupil, address in session.execute(
                select(Guardianship.pupil_id, ChannelIdentity.address).join(
                    ChannelIdentity, ChannelIdentity.person_id == Guardianship.guardian_id
                )
                .where(ChannelIdentity.channel == "post")
            ).all()
        }  # fmt: skip
        listed = on_post(session, reading)
    assert listed.total == 4 and len(set(addresses.values())) == 4
    assert {family.pupil_id: family.address for family in listed.items} == addresses

    first = listed.items[0]
    with session_scope(school) as session:
        parent = session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == first.pupil_id)
        ).one()
        class_id = session.exec(
            select(Membership.class_id).where(
                Membership.person_id == first.pupil_id, Membership.role == Role.PUPIL.value
            )
        ).one()
        _lost(session, parent, "before the round")
        session.flush()
        teacher = session.exec(
            select(Membership.person_id).where(Membership.role == Role.COORDINATOR.value)
        ).first()
        earlier = PostalRound(
            class_id=class_id or 0,
            teacher_id=teacher or 0,
            collection_date=date.today() - timedelta(days=7),
            created_at=utcnow() - timedelta(days=7),
        )
        session.add(earlier)
        session.flush()
        missing = PostalItem(round_id=earlier.id or 0, pupil_id=first.pupil_id, status="missing")
        returned = PostalItem(round_id=earlier.id or 0, pupil_id=first.pupil_id, status="missing")
        session.add_all([missing, returned])
        session.flush()
        later = PostalRound(
            class_id=class_id or 0, teacher_id=teacher or 0, collection_date=date.today() - timedelta(days=1)
        )
        session.add(later)
        session.flush()
        session.add(PostalItem(round_id=later.id or 0, pupil_id=first.pupil_id, carried_from_id=returned.id))
        session.add(PostalItem(round_id=later.id or 0, pupil_id=listed.items[1].pupil_id, status="missing"))
    with session_scope(school) as session:
        _lost(session, parent, "after the round")
        _lost(session, first.pupil_id, "to the pupil")
    with Session(school) as session:
        again = {family.pupil_id: family for family in on_post(session, _reading(scope)).items}
    # The pupil and their parent each have a message since the class's last round; the one before
    # it went in that round. One missing work waits to be carried, the other is carried already.
    assert again[first.pupil_id].notices == 2 and again[first.pupil_id].carried == 1
    assert again[listed.items[1].pupil_id].carried == 1 and again[listed.items[1].pupil_id].notices == 0
    assert all(family.notices == 0 and family.carried == 0 for family in list(again.values())[2:])
