"""Rules the store enforces on every commit, whoever writes: the importer, a handler, a script.

Checked at commit time (not per insert), so one transaction may move pupils between groups freely
as long as the end state obeys the programme: group size within its bounds, subjects per pupil within
its limit, channel addresses in canonical form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col, select

from models.enums import Channel
from models.people import ChannelIdentity
from models.phones import is_e164
from models.school import GroupMember, Programme, TutoringGroup

_TOUCHED = "ustaz_touched"


class InvariantViolation(ValueError):
    """A write that would break a programme rule; the transaction is rolled back."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}")


def _touched(session: OrmSession) -> dict[str, set[int]]:
    return session.info.setdefault(_TOUCHED, {"groups": set(), "pupils": set()})


@event.listens_for(OrmSession, "before_flush")
def _collect(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    touched = _touched(session)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, GroupMember):
            touched["groups"].add(obj.group_id)
            touched["pupils"].add(obj.pupil_id)
        elif isinstance(obj, TutoringGroup) and obj.id is not None:
            touched["groups"].add(obj.id)
        elif isinstance(obj, ChannelIdentity) and obj not in session.deleted:
            _check_address(obj)


def _check_address(identity: ChannelIdentity) -> None:
    if identity.channel in (Channel.WHATSAPP, Channel.SMS) and not is_e164(identity.address):
        raise InvariantViolation("phone_not_e164", channel=identity.channel)


@event.listens_for(OrmSession, "before_commit")
def _enforce(session: OrmSession) -> None:
    session.flush()  # pending objects pass through before_flush first
    touched = session.info.get(_TOUCHED)
    if not touched or not (touched["groups"] or touched["pupils"]):
        return
    try:
        for group_id in touched["groups"]:
            check_group_size(session, group_id)
        for pupil_id in touched["pupils"]:
            check_subjects_per_pupil(session, pupil_id)
    finally:
        session.info.pop(_TOUCHED, None)


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_TOUCHED, None)


def check_group_size(session: OrmSession, group_id: int) -> None:
    row = session.execute(
        select(Programme.min_group_size, Programme.max_group_size, TutoringGroup.code)
        .join(TutoringGroup, col(TutoringGroup.programme_id) == Programme.id)
        .where(TutoringGroup.id == group_id)
    ).first()
    if row is None:
        return
    low, high, code = row
    size = session.scalar(select(func.count()).where(GroupMember.group_id == group_id)) or 0
    if size and not low <= size <= high:
        raise InvariantViolation("group_size", group=code, size=size, min=low, max=high)


def check_subjects_per_pupil(session: OrmSession, pupil_id: int) -> None:
    rows = session.execute(
        select(TutoringGroup.programme_id, Programme.subjects_per_pupil, TutoringGroup.subject)
        .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
        .join(Programme, col(Programme.id) == TutoringGroup.programme_id)
        .where(GroupMember.pupil_id == pupil_id)
    ).all()
    per_programme: dict[int, tuple[int, set[str]]] = {}
    for programme_id, limit, subject in rows:
        per_programme.setdefault(programme_id, (limit, set()))[1].add(subject)
    for limit, subjects in per_programme.values():
        if len(subjects) > limit:
            raise InvariantViolation("too_many_subjects", pupil=pupil_id, count=len(subjects), max=limit)
