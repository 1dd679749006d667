"""Families' threads waiting for an answer, for the dashboard: who waits, since when, how long, with
whom — within the reader's scope (the pupils the threads are about; a tutor's, their groups'
threads), the longest waiting first. What was written is not shown here: it stays between the
family and the staff member. The list is of threads waiting now, whatever the period chosen.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from locales import T
from models.people import Membership, Person
from models.school import SchoolClass
from models.threads import Thread, ThreadMessage
from monitoring.scope import Scope
from monitoring.sql import pupil_membership
from monitoring.table import Ask, Cell, Listing, searched

HOUR = 3600


def _of_groups(scope: Scope) -> list[Any]:
    """A tutor's or an assistant's threads are those of their groups (not the class teacher's);
    a school's or a class's reader sees every thread about their pupils."""
    if scope.school_ids or scope.class_ids:
        return []
    return scope.in_groups(Thread.group_id)


def threads_listing(session: Session, ask: Ask) -> Listing:
    family = aliased(Person)
    pupil = aliased(Person)
    staff = aliased(Person)
    messages = (
        select(func.count(col(ThreadMessage.id)))
        .where(col(ThreadMessage.thread_id) == col(Thread.id))
        .scalar_subquery()
    )
    class_name = func.coalesce(col(SchoolClass.name), literal(""))
    statement = (
        select(
            col(Thread.waiting_since),
            col(family.full_name),
            col(pupil.full_name),
            class_name,
            func.coalesce(col(staff.full_name), literal("")),
            col(Thread.topic),
            messages,
            col(Thread.family_id),
            col(Thread.pupil_id),
        )
        .select_from(Thread)
        .join(family, col(family.id) == col(Thread.family_id))
        .join(pupil, col(pupil.id) == col(Thread.pupil_id))
        .outerjoin(staff, col(staff.id) == col(Thread.staff_id))
        .outerjoin(Membership, pupil_membership(col(Thread.pupil_id)))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(
            col(Thread.waiting_since).is_not(None),
            col(Thread.pupil_id).in_(ask.scope.pupils()),
            *_of_groups(ask.scope),
        )
    )
    statement = searched(
        session, ask, statement, col(family.full_name), col(pupil.full_name), col(SchoolClass.name)
    )
    zone, now = ask.zone, ask.now

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        since = row[0] if row[0].tzinfo else row[0].replace(tzinfo=now.tzinfo)
        return (
            since.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            int((now - since).total_seconds() // HOUR),
            row[1] if row[7] != row[8] else T("web.threads.the_pupil"),
            row[2],
            row[3],
            row[4],
            T(f"web.topic.{row[5]}"),
            int(row[6]),
        )

    return Listing(
        "threads",
        ("since", "hours", "family", "pupil", "class", "with", "role", "messages"),
        statement.order_by(col(Thread.waiting_since), col(Thread.id)),
        cells,
        lambda row: int(row[8]),
    )
