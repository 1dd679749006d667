"""Dashboard sign-in: a one-time code sent through the bot, then a session cookie.

A person types their phone number or roster id; if they are a coordinator or a class teacher, a
six-digit code goes to them through the outbox (their own chat channel) and is valid for ten
minutes and five tries. Codes and sessions live in this process (the web server runs in one process
with the bot); only a hash of a code is kept. Sign-ins and sign-outs are written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, or_, select

from handlers.monitoring import Scope, scope_of
from locales import T
from models.clock import utcnow
from models.journal import AuditLog
from models.notify import enqueue
from models.people import Person
from models.phones import BadPhone, normalize_phone
from models.store import session_scope

CODE_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
MAX_TRIES = 5
SESSION_COOKIE = "ustaz_session"
CHALLENGE_COOKIE = "ustaz_challenge"


@dataclass
class Challenge:
    person_id: int | None
    code_hash: bytes
    expires_at: datetime
    tries: int = 0


@dataclass(frozen=True)
class Signed:
    person_id: int
    expires_at: datetime


def _hash(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def find_staff(session: Session, typed: str) -> Person | None:
    """The coordinator or class teacher with this phone number or roster id."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        phone: str | None = normalize_phone(typed)
    except BadPhone:
        phone = None
    conditions = [Person.external_id == typed]
    if phone:
        conditions.append(Person.phone == phone)
    person = session.exec(select(Person).where(or_(*conditions))).first()
    if person is None or person.id is None or scope_of(session, person.id) is None:
        return None
    return person


class Auth:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.challenges: dict[str, Challenge] = {}
        self.sessions: dict[str, Signed] = {}

    def request_code(self, typed: str) -> str:
        """Send a code to the staff member `typed` names; returns the challenge token. An unknown
        name gets a token too (that can never succeed), so the page does not reveal who exists."""
        self._forget_expired()
        code = f"{secrets.randbelow(1_000_000):06d}"
        token = secrets.token_urlsafe(24)
        now = utcnow()
        with session_scope(self.engine) as session:
            person = find_staff(session, typed)
            person_id = person.id if person else None
            if person_id is not None:
                enqueue(
                    session,
                    kind="login.code",
                    text=T("web.login.code_message", code=code),
                    idempotency_key=f"login:{person_id}:{token[:16]}:",
                    person_id=person_id,
                    urgent=True,
                )
                session.add(AuditLog(actor_id=person_id, action="dashboard.code_sent", entity="person"))
        self.challenges[token] = Challenge(person_id, _hash(code), now + CODE_TTL)
        return token

    def verify(self, token: str, code: str) -> str | None:
        """A new session id when the code is right and fresh; None otherwise."""
        challenge = self.challenges.get(token)
        if challenge is None or challenge.expires_at <= utcnow() or challenge.tries >= MAX_TRIES:
            self.challenges.pop(token, None)
            return None
        challenge.tries += 1
        if challenge.person_id is None or not hmac.compare_digest(challenge.code_hash, _hash(code.strip())):
            return None
        del self.challenges[token]
        session_id = secrets.token_urlsafe(32)
        self.sessions[session_id] = Signed(challenge.person_id, utcnow() + SESSION_TTL)
        self.audit(challenge.person_id, "dashboard.sign_in")
        return session_id

    def person_of(self, session_id: str | None) -> int | None:
        signed = self.sessions.get(session_id or "")
        if signed is None:
            return None
        if signed.expires_at <= utcnow():
            del self.sessions[session_id or ""]
            return None
        return signed.person_id

    def sign_out(self, session_id: str | None) -> None:
        signed = self.sessions.pop(session_id or "", None)
        if signed is not None:
            self.audit(signed.person_id, "dashboard.sign_out")

    def scope(self, person_id: int) -> Scope | None:
        with Session(self.engine) as session:
            return scope_of(session, person_id)

    def audit(self, person_id: int, action: str, **detail: object) -> None:
        with session_scope(self.engine) as session:
            session.add(
                AuditLog(
                    actor_id=person_id, action=action, entity="person", entity_id=person_id, detail=detail
                )
            )

    def _forget_expired(self) -> None:
        now = utcnow()
        for token in [t for t, c in self.challenges.items() if c.expires_at <= now]:
            del self.challenges[token]
        for sid in [s for s, signed in self.sessions.items() if signed.expires_at <= now]:
            del self.sessions[sid]
