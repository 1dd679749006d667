"""Dashboard sign-in state: one-time code challenges and sessions, in the store so that every bot
process behind the proxy sees the same ones and a restart signs nobody out.

Only sha256 hashes of tokens, codes and session ids are kept: a copy of these tables does not let
anyone sign in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col

from models.clock import utcnow

HASH_LENGTH = 64  # sha256, hex


class DashboardChallenge(SQLModel, table=True):
    """A code sent to a staff member, waiting to be typed in. `person_id` is None when the name typed
    was nobody's (or not staff's): such a challenge can never succeed, and the page cannot tell."""

    __tablename__ = "dashboard_challenge"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=HASH_LENGTH, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    code_hash: str = Field(max_length=HASH_LENGTH)
    tries: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class DashboardSession(SQLModel, table=True):
    """A signed-in browser, known by the hash of its session cookie."""

    __tablename__ = "dashboard_session"

    id: int | None = Field(default=None, primary_key=True)
    session_hash: str = Field(max_length=HASH_LENGTH, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


def purge_expired_sign_ins(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Delete expired challenges and sessions (two indexed deletes); returns how many of each."""
    moment = now or utcnow()
    connection = session.connection()
    challenges = connection.execute(
        delete(DashboardChallenge).where(col(DashboardChallenge.expires_at) <= moment)
    ).rowcount
    sessions = connection.execute(
        delete(DashboardSession).where(col(DashboardSession.expires_at) <= moment)
    ).rowcount
    return challenges, sessions
