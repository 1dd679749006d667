"""Substitutes: a tutor who takes a group for a range of dates while its own tutor is away.

For each day of the range the substitute is the group's acting tutor: lesson reminders, attendance
prompts, the list of work not handed in and the review queue go to them, and they mark attendance
and grade. The group's own tutor keeps reading (the review queue, the attendance sheet) but does not
act for those days. A range is ended early by setting `ended_at` (the row stays, for the record).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Field, Session, SQLModel, col, select

from models.clock import utcnow
from models.school import TutoringGroup


class Substitution(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group_.id", index=True)
    substitute_id: int = Field(foreign_key="person.id", index=True)
    starts: date
    ends: date
    assigned_by: int | None = Field(default=None, foreign_key="person.id")
    assigned_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None

    def holds(self, day: date) -> bool:
        return self.ended_at is None and self.starts <= day <= self.ends


def active_between(
    session: Session, first: date, last: date, group_ids: Iterable[int] | None = None
) -> dict[int, list[Substitution]]:
    """Substitutions not ended that overlap [first, last], by group."""
    statement = select(Substitution).where(
        col(Substitution.ended_at).is_(None), Substitution.starts <= last, Substitution.ends >= first
    )
    if group_ids is not None:
        statement = statement.where(col(Substitution.group_id).in_(list(group_ids)))
    found: dict[int, list[Substitution]] = {}
    for row in session.exec(statement.order_by(col(Substitution.starts))).all():
        found.setdefault(row.group_id, []).append(row)
    return found


def covering(rows: Iterable[Substitution], day: date) -> Substitution | None:
    return next((row for row in rows if row.holds(day)), None)


def substitution_on(session: Session, group_id: int, day: date) -> Substitution | None:
    return covering(active_between(session, day, day, [group_id]).get(group_id, []), day)


def acting_tutor(session: Session, group: TutoringGroup, day: date) -> int | None:
    """Who tutors the group on `day`: its substitute for that day, else its own tutor."""
    found = substitution_on(session, group.id or 0, day)
    return found.substitute_id if found is not None else group.tutor_id


def named_ahead(session: Session, group_id: int, person_id: int, day: date) -> bool:
    """Whether `person_id` is named the group's substitute for days that begin after `day` (a
    problem reported for one of their lessons is theirs before the first of them)."""
    found = session.exec(
        select(Substitution.id).where(
            Substitution.group_id == group_id,
            Substitution.substitute_id == person_id,
            col(Substitution.ended_at).is_(None),
            Substitution.starts > day,
        )
    ).first()
    return found is not None
