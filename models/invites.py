"""One-time invite codes: long enough that guessing is hopeless, spent atomically on first use."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.clock import utcnow
from models.people import Invite, Person

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 8e14 codes


class InviteError(ValueError):
    def __init__(self, reason: str) -> None:
        self.reason = reason  # unknown | used | expired
        super().__init__(reason)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def issue_invite(session: Session, person_id: int | None, ttl: timedelta) -> Invite:
    assert person_id is not None
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
    if invite.expires_at <= moment:
        raise InviteError("expired")
    spent = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=moment, used_by_identity_id=identity_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise InviteError("used")
    person = session.get(Person, invite.person_id)
    assert person is not None
    return person
