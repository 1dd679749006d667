"""One-time invite codes: long enough that guessing is hopeless, spent atomically on first use."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE
from locales.collation import sort_key
from models.clock import utcnow
from models.enums import Role
from models.people import ChannelIdentity, Guardianship, Invite, Membership, Person
from models.school import GroupMember

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 8e14 codes
# A person has *joined* once they have written to the bot from some chat (a parent whose number the
# roster holds joins by writing from it, with no code at all) or has used a code. Otherwise their
# latest code is *sent* (usable until it expires), *expired*, or there is *none* (the roster gave
# them no code, or every code was revoked).
JOINED, SENT, EXPIRED, NONE = "joined", "sent", "expired", "none"


class InviteError(ValueError):
    def __init__(self, reason: str) -> None:
        self.reason = reason  # unknown | used | expired | revoked
        super().__init__(reason)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def issue_invite(session: Session, person_id: int | None, ttl: timedelta) -> Invite:
    """A first code for a person just written (the id a flushed row has)."""
    if person_id is None:
        raise ValueError("an invite is for a person in the store: add and flush them first")
    invite = Invite(code=new_code(), person_id=person_id, expires_at=utcnow() + ttl)
    session.add(invite)
    session.flush()
    return invite


def redeem_invite(
    session: Session, raw_code: str, identity_id: int | None = None, now: datetime | None = None
) -> Person:
    """Spend the code and return its person. The UPDATE … WHERE used_at IS NULL makes a race between
    two chats using one code end with exactly one winner."""
    code = normalise_code(raw_code)
    moment = now or utcnow()
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if invite is None:
        raise InviteError("unknown")
    if invite.used_at is not None:
        raise InviteError("used")
    if invite.revoked_at is not None:
        raise InviteError("revoked")
    if invite.expires_at <= moment:
        raise InviteError("expired")
    spent = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None), col(Invite.revoked_at).is_(None))
        .values(used_at=moment, used_by_identity_id=identity_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteError("used")
    person = session.get(Person, invite.person_id)
    if person is None:  # the foreign key forbids it; a store edited by hand could still
        raise LookupError(f"invite {invite.id} names person {invite.person_id}, who is not in the store")
    return person


def reissue_invite(session: Session, person_id: int, ttl: timedelta, now: datetime) -> Invite:
    """A new code for the person; every code of theirs not yet used is revoked, so a lost sheet or a
    code read aloud to the wrong family can no longer join anyone."""
    session.execute(
        update(Invite)
        .where(
            col(Invite.person_id) == person_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    invite = Invite(code=new_code(), person_id=person_id, created_at=now, expires_at=now + ttl)
    session.add(invite)
    session.flush()
    return invite


def invite_states(
    session: Session, person_ids: Iterable[int], now: datetime
) -> dict[int, tuple[str, Invite | None]]:
    """Each person's invitation state and the code in force (for `SENT`)."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    written = set(
        session.exec(
            select(ChannelIdentity.person_id).where(
                col(ChannelIdentity.person_id).in_(wanted), col(ChannelIdentity.last_inbound_at).is_not(None)
            )
        ).all()
    )
    latest: dict[int, Invite] = {}
    used: set[int] = set()
    for invite in session.exec(
        select(Invite)
        .where(col(Invite.person_id).in_(wanted))
        .order_by(col(Invite.created_at), col(Invite.id))
    ).all():
        if invite.used_at is not None:
            used.add(invite.person_id)
        if invite.revoked_at is None:
            latest[invite.person_id] = invite
    found: dict[int, tuple[str, Invite | None]] = {}
    for person_id in wanted:
        current = latest.get(person_id)
        if person_id in written or person_id in used:
            found[person_id] = (JOINED, None)
        elif current is None:
            found[person_id] = (NONE, None)
        elif current.expires_at <= now:
            found[person_id] = (EXPIRED, current)
        else:
            found[person_id] = (SENT, current)
    return found


def class_people(session: Session, class_id: int, language: str = DEFAULT_LANGUAGE) -> list[tuple[int, str]]:
    """(person id, role) of a class: its class teacher, its pupils, then their parents, each once,
    each by name in the alphabetical order of `language` (`locales.collation`)."""
    members = session.exec(
        select(Membership.person_id, Membership.role, Person.full_name)
        .join(Person, col(Person.id) == Membership.person_id)
        .where(Membership.class_id == class_id)
        .order_by(col(Person.id))
    ).all()
    members = sorted(members, key=lambda row: sort_key(language, row[2]))
    teachers = [(pid, role) for pid, role, _ in members if role == Role.CLASS_TEACHER.value]
    pupils = [(pid, role) for pid, role, _ in members if role == Role.PUPIL.value]
    return only_once([*teachers, *pupils, *_parents(session, [pid for pid, _ in pupils], language)])


def group_families(
    session: Session, group_id: int, language: str = DEFAULT_LANGUAGE
) -> list[tuple[int, str]]:
    """(person id, role) of a tutoring group's families: its pupils, then their parents, each once,
    each by name in the alphabetical order of `language` — whom the group's assistant teacher
    hands codes to (the group's staff join through the school)."""
    members = session.exec(
        select(GroupMember.pupil_id, Person.full_name)
        .join(Person, col(Person.id) == GroupMember.pupil_id)
        .where(GroupMember.group_id == group_id)
        .order_by(col(Person.id))
    ).all()
    pupils = [pid for pid, _ in sorted(members, key=lambda row: sort_key(language, row[1]))]
    return only_once([*((pid, Role.PUPIL.value) for pid in pupils), *_parents(session, pupils, language)])


def _parents(session: Session, pupil_ids: list[int], language: str) -> list[tuple[int, str]]:
    """(person id, role) of the pupils' parents, by name in the order of `language`."""
    parents = session.exec(
        select(Guardianship.guardian_id, Person.full_name)
        .join(Person, col(Person.id) == Guardianship.guardian_id)
        .where(col(Guardianship.pupil_id).in_(pupil_ids))
        .order_by(col(Person.id))
    ).all()
    parents = sorted(parents, key=lambda row: sort_key(language, row[1]))
    return [(pid, Role.GUARDIAN.value) for pid, _ in parents]


def only_once(people: list[tuple[int, str]]) -> list[tuple[int, str]]:
    seen: set[int] = set()
    kept = []
    for person_id, role in people:
        if person_id not in seen:
            seen.add(person_id)
            kept.append((person_id, role))
    return kept
