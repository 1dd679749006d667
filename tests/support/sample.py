"""The sample school (`sandbox/sample_roster.csv`) imported, and what its coordinator may read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.enums import Role
from models.people import Membership
from monitoring.scope import Scope, scope_of
from roster import import_roster
from tests.support.roster import SAMPLE_CSV


def sample_school(engine: Engine) -> Scope:
    """Import the sample school; its coordinator's scope."""
    assert import_roster(engine, SAMPLE_CSV, dry_run=False, invite_ttl=timedelta(days=30)).ok
    with Session(engine) as session:
        coordinator = session.exec(
            select(Membership.person_id).where(Membership.role == Role.COORDINATOR.value)
        ).first()
        scope = scope_of(session, coordinator or 0)
    assert scope is not None
    return scope
