"""Dashboard sign-in: a one-time code sent through the bot, then a session cookie.

A person types their phone number or roster id; if they are a coordinator or a class teacher, a
six-digit code goes to them through the outbox (their own chat channel) and is valid for ten
minutes and five tries, and any older code of theirs stops working. How often codes may be asked
for and guessed is `bots.web.sign_in_limits`. Challenges and sessions are rows in the store
(`models.dashboard`), so any bot process behind the proxy can verify a code another one sent, and a
restart signs nobody out; only sha256 hashes of the challenge token, the code and the session id are
stored. Codes sent and refused, sign-ins, wrong codes and sign-outs are written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, or_, select

from bots.web.sign_in_limits import (
    CODE,
    EXPIRED,
    REFUSED,
    WARN_AT,
    WRONG,
    History,
    Refusal,
    client_key,
    longest,
    person_subject,
    record,
    typed_subject,
)
from locales import T, Text
from models.clock import utcnow
from models.dashboard import DashboardChallenge, DashboardSession, purge_expired_sign_ins
from models.journal import AuditLog
from models.people import Person
from models.phones import BadPhone, normalize_phone
from models.store import session_scope
from monitoring import Scope, scope_of
from outbox.write import enqueue

CODE_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
MAX_TRIES = 5
SESSION_COOKIE = "ustaz_session"
CHALLENGE_COOKIE = "ustaz_challenge"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_hash(token: str, code: str) -> str:
    """The code's hash, bound to its challenge token: the token lives only in the browser's cookie,
    so the stored hash of a six-digit code cannot be reversed by trying a million codes."""
    return _hash(f"{token}:{code}")


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
    """Codes and sessions over the store; holds nothing itself, so several instances (processes)
    on one database agree."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def request_code(self, typed: str, client: str = "") -> str | Refusal:
        """Send a code to the staff member `typed` names and return the challenge token, or say why
        not (`bots.web.sign_in_limits`). An unknown name gets a token too (that can never succeed)
        and the same limits, so the page does not reveal who exists. The person's older code, if
        any, stops working: one pending code per person."""
        now = utcnow()
        client_hash = client_key(client)
        with session_scope(self.engine) as session:
            purge_expired_sign_ins(session, now)
            person = find_staff(session, typed)
            person_id = person.id if person else None
            subject = person_subject(person_id) if person_id is not None else typed_subject(typed)
            history = History.load(session, subject, client_hash, now)
            refusal = history.subject_refusal(now)
            by_client = history.client_refusal(now)
            if by_client is not None:  # nothing written, so hammering adds no rows
                return longest(by_client, refusal) or by_client
            if refusal is not None:
                record(session, REFUSED, subject, client_hash, now)
                session.add(_about(person_id, "dashboard.code_refused", reason=refusal.reason))
                _warn_when_repeated(session, person_id, history.requests_today(now) + 1, now)
                return refusal
            code = f"{secrets.randbelow(1_000_000):06d}"
            token = secrets.token_urlsafe(24)
            record(session, CODE, subject, client_hash, now)
            session.execute(delete(DashboardChallenge).where(col(DashboardChallenge.subject) == subject))
            if person_id is not None:
                code_message = T("web.login.code_message", code=code)
                _tell(session, person_id, "login.code", code_message, f"login:{person_id}:{token[:16]}:")
                session.add(_audit_row(person_id, "dashboard.code_sent"))
                _warn_when_repeated(session, person_id, history.requests_today(now) + 1, now)
            session.add(
                DashboardChallenge(
                    token_hash=_hash(token),
                    person_id=person_id,
                    subject=subject,
                    code_hash=_code_hash(token, code),
                    created_at=now,
                    expires_at=now + CODE_TTL,
                )
            )
        return token

    def verify(self, token: str, code: str, client: str = "") -> str | Refusal:
        """A new session id when the code is right and fresh, or why not. A try is counted before
        the code is compared, in one statement, so parallel guesses through several processes still
        get five tries in all; a wrong code counts towards the lockout of the person and the client."""
        if not token:
            return Refusal(EXPIRED)
        now = utcnow()
        token_hash = _hash(token)
        client_hash = client_key(client)
        with session_scope(self.engine) as session:
            challenge = session.exec(
                select(DashboardChallenge).where(DashboardChallenge.token_hash == token_hash)
            ).first()
            if challenge is None:
                return Refusal(EXPIRED)
            person_id, subject = challenge.person_id, challenge.subject
            locked = History.load(session, subject, client_hash, now).refuse_check(now)
            if locked is not None:
                return locked
            if not _take_a_try(session, token_hash, now):
                session.delete(challenge)
                session.add(_about(person_id, "dashboard.sign_in_failed", reason=EXPIRED))
                return Refusal(EXPIRED)
            session.refresh(challenge)
            right = hmac.compare_digest(challenge.code_hash, _code_hash(token, code.strip()))
            if not right or person_id is None:
                record(session, WRONG, subject, client_hash, now)
                tries_left = MAX_TRIES - challenge.tries
                failed = _about(person_id, "dashboard.sign_in_failed", reason=WRONG, tries_left=tries_left)
                session.add(failed)
                session.flush()
                history = History.load(session, subject, client_hash, now)
                wrong = Refusal(WRONG, tries_left=tries_left) if tries_left else Refusal(EXPIRED)
                return history.refuse_check(now) or wrong
            session.delete(challenge)
            session_id = secrets.token_urlsafe(32)
            session.add(
                DashboardSession(
                    session_hash=_hash(session_id),
                    person_id=person_id,
                    created_at=now,
                    expires_at=now + SESSION_TTL,
                )
            )
            session.add(_audit_row(person_id, "dashboard.sign_in"))
        return session_id

    def person_of(self, session_id: str | None) -> int | None:
        """Who a session cookie belongs to, while the session lasts."""
        if not session_id:
            return None
        now = utcnow()
        session_hash = _hash(session_id)
        with Session(self.engine) as session:
            signed = session.exec(
                select(DashboardSession).where(DashboardSession.session_hash == session_hash)
            ).first()
            if signed is None:
                return None
            if signed.expires_at > now:
                return signed.person_id
        with session_scope(self.engine) as session:
            session.execute(
                delete(DashboardSession).where(
                    col(DashboardSession.session_hash) == session_hash,
                    col(DashboardSession.expires_at) <= now,
                )
            )
        return None

    def sign_out(self, session_id: str | None) -> None:
        """End the session for every process (the row is gone)."""
        if not session_id:
            return
        with session_scope(self.engine) as session:
            signed = session.exec(
                select(DashboardSession).where(DashboardSession.session_hash == _hash(session_id))
            ).first()
            if signed is None:
                return
            session.delete(signed)
            session.add(_audit_row(signed.person_id, "dashboard.sign_out"))

    def scope(self, person_id: int) -> Scope | None:
        with Session(self.engine) as session:
            return scope_of(session, person_id)

    def audit(self, person_id: int, action: str, **detail: object) -> None:
        with session_scope(self.engine) as session:
            session.add(_audit_row(person_id, action, **detail))


def _take_a_try(session: Session, token_hash: str, now: datetime) -> bool:
    """Count one try on a live challenge; False when there is none (unknown, expired, tried out)."""
    result = session.connection().execute(
        update(DashboardChallenge)
        .where(
            col(DashboardChallenge.token_hash) == token_hash,
            col(DashboardChallenge.expires_at) > now,
            col(DashboardChallenge.tries) < MAX_TRIES,
        )
        .values(tries=col(DashboardChallenge.tries) + 1)
    )
    return result.rowcount == 1


def _audit_row(person_id: int, action: str, **detail: object) -> AuditLog:
    """Something this person did."""
    return AuditLog(actor_id=person_id, action=action, entity="person", entity_id=person_id, detail=detail)


def _about(person_id: int | None, action: str, **detail: object) -> AuditLog:
    """Something someone did in this person's name (None: a name that is nobody's); who did it is
    not known."""
    return AuditLog(action=action, entity="person", entity_id=person_id, detail=detail)


def _warn_when_repeated(session: Session, person_id: int | None, requests: int, now: datetime) -> None:
    """Tell the staff member, once a day, that codes are being asked for in their name."""
    if person_id is None or requests < WARN_AT:
        return
    warning = T("web.login.codes_warning", count=requests)
    _tell(
        session, person_id, "login.warning", warning, f"login:warning:{person_id}:{now.date().isoformat()}:"
    )


def _tell(session: Session, person_id: int, kind: str, text: Text, key: str) -> None:
    """A message to the staff member through the outbox, at once even in quiet hours: the code, or
    the warning that comes with the codes."""
    enqueue(session, kind=kind, text=text, idempotency_key=key, person_id=person_id, urgent=True)
