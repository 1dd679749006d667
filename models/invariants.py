"""Rules the store enforces on every commit, whoever writes: the importer, a handler, a script.

Checked at commit time (not per insert), so one transaction may move pupils between groups freely
as long as the end state obeys the programme: group size within its bounds, subjects per pupil within
its limit, channel addresses in canonical form.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col, select

from models.enums import Channel
from models.people import ChannelIdentity
from models.phones import is_e164
from models.school import GroupMember, Programme, TutoringGroup

_TOUCHED = "ustaz_touched"
CHUNK = 500  # ids per IN (…) list, well under SQLite's and PostgreSQL's parameter limits


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
        check_group_sizes(session, list(touched["groups"]))
        check_subjects_per_pupils(session, list(touched["pupils"]))
    finally:
        session.info.pop(_TOUCHED, None)


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_TOUCHED, None)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def check_group_sizes(session: OrmSession, group_ids: Sequence[int]) -> None:
    """Each group's size within its programme's bounds (an empty group is let be); raises for the
    first group in `group_ids`'s order that is not. A few queries however many groups."""
    bounds: dict[int, tuple[int, int, str]] = {}
    sizes: dict[int, int] = {}
    for chunk in _chunks(group_ids):
        rows = session.execute(
            select(TutoringGroup.id, Programme.min_group_size, Programme.max_group_size, TutoringGroup.code)
            .join(TutoringGroup, col(TutoringGroup.programme_id) == Programme.id)
            .where(col(TutoringGroup.id).in_(chunk))
        )
        bounds.update((group_id, (low, high, code)) for group_id, low, high, code in rows)
        counted = session.execute(
            select(GroupMember.group_id, func.count())
            .where(col(GroupMember.group_id).in_(chunk))
            .group_by(col(GroupMember.group_id))
        )
        sizes.update((group_id, size) for group_id, size in counted)
    for group_id in group_ids:
        size = sizes.get(group_id, 0)
        if group_id not in bounds or not size:
            continue
        low, high, code = bounds[group_id]
        if not low <= size <= high:
            raise InvariantViolation("group_size", group=code, size=size, min=low, max=high)


def check_subjects_per_pupils(session: OrmSession, pupil_ids: Sequence[int]) -> None:
    """Each pupil's subjects per programme within its limit; raises for the first pupil in
    `pupil_ids`'s order over it. A few queries however many pupils."""
    taken: dict[int, dict[int, tuple[int, set[str]]]] = {}
    for chunk in _chunks(pupil_ids):
        rows = session.execute(
            select(
                GroupMember.pupil_id,
                TutoringGroup.programme_id,
                Programme.subjects_per_pupil,
                TutoringGroup.subject,
            )
            .join(TutoringGroup, col(GroupMember.group_id) == TutoringGroup.id)
            .join(Programme, col(Programme.id) == TutoringGroup.programme_id)
            .where(col(GroupMember.pupil_id).in_(chunk))
        )
        for pupil_id, programme_id, limit, subject in rows:
            per_programme = taken.setdefault(pupil_id, {})
            per_programme.setdefault(programme_id, (limit, set()))[1].add(subject)
    for pupil_id in pupil_ids:
        for limit, subjects in taken.get(pupil_id, {}).values():
            if len(subjects) > limit:
                raise InvariantViolation("too_many_subjects", pupil=pupil_id, count=len(subjects), max=limit)
