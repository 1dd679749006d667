"""Dashboard sign-in state: one-time code challenges and sessions, in the store so that every bot
process behind the proxy sees the same ones and a restart signs nobody out.

Only sha256 hashes of tokens, codes and session ids are kept: a copy of these tables does not let
anyone sign in. The sign-in limits (`bots.web.sign_in_limits`) count code requests and wrong codes
in `DashboardAttempt`, keyed by hashes too: who was named and which client asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col

from models.clock import utcnow

HASH_LENGTH = 64  # sha256, hex
SUBJECT_LENGTH = 80  # "person:<id>", or "typed:" and a sha256
ATTEMPT_LIFETIME = timedelta(days=2)  # the sign-in limits look back no further


class DashboardChallenge(SQLModel, table=True):
    """A code sent to a staff member, waiting to be typed in. `person_id` is None when the name typed
    was nobody's (or not staff's): such a challenge can never succeed, and the page cannot tell."""

    __tablename__ = "dashboard_challenge"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=HASH_LENGTH, unique=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    subject: str = Field(default="", max_length=SUBJECT_LENGTH, index=True)
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


class DashboardAttempt(SQLModel, table=True):
    """One code request (sent or refused) or one wrong code. `subject` is who was named: a staff
    member's "person:<id>", or for a name that is nobody's a hash of what was typed, so that limits
    treat both alike and the page cannot tell them apart. `client` is a hash of the address that
    asked. Rows older than two days are deleted with the expired sign-ins."""

    __tablename__ = "dashboard_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    kind: str = Field(max_length=10)  # "code", "refused" or "wrong"
    subject: str = Field(max_length=SUBJECT_LENGTH, index=True)
    client: str = Field(max_length=HASH_LENGTH, index=True)


def purge_expired_sign_ins(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Delete expired challenges and sessions and the attempts the limits no longer read (three
    indexed deletes); returns how many challenges and sessions."""
    moment = now or utcnow()
    connection = session.connection()
    connection.execute(delete(DashboardAttempt).where(col(DashboardAttempt.at) <= moment - ATTEMPT_LIFETIME))
    challenges = connection.execute(
        delete(DashboardChallenge).where(col(DashboardChallenge.expires_at) <= moment)
    ).rowcount
    sessions = connection.execute(
        delete(DashboardSession).where(col(DashboardSession.expires_at) <= moment)
    ).rowcount
    return challenges, sessions
