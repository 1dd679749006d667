"""How often the dashboard's sign-in may be tried: code requests and wrong codes, counted per person
named and per client.

A code allows `MAX_TRIES` tries (`bots.web.auth`); without these limits a new code could be asked
for at once, again and again, and a six-digit code falls to about a million guesses. Now:

* a cooldown between codes: a minute for one person, ten seconds for one client;
* a daily cap: five codes for one person, thirty requests from one client;
* one pending code per person (a new code replaces the old one: `bots.web.auth`);
* a lockout that grows with the wrong codes of the last two days, across codes: at the fifth wrong
  code for one person (the twentieth from one client, which may be a whole school behind one
  address) no code is sent or checked for 5 minutes; at each five more, for 30 minutes, 2 hours,
  then a day.

Someone guessing one person's code gets twenty tries on the first day and five a day after: one
chance in 50,000 on the first day, one in 200,000 a day after.
Whoever is named is told once a day when codes for them are asked for repeatedly
(`WARN_AT`), and every refusal and wrong code is in the audit log (`bots.web.auth`).

A name that is nobody's is limited exactly like a staff member's (keyed by what was typed), so the
page answers alike and does not tell who exists. The rows are `models.dashboard.DashboardAttempt`,
in the store, so every bot process counts the same tries.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address, ip_network

from sqlmodel import Session, col, or_, select

from locales import T, Text
from models.dashboard import ATTEMPT_LIFETIME, DashboardAttempt

CODE = "code"  # attempt kinds
REFUSED = "refused"
WRONG = "wrong"  # also a reason a code is turned down, with WAIT, DAILY, LOCKED and EXPIRED
WAIT = "wait"
DAILY = "daily"
LOCKED = "locked"
EXPIRED = "expired"
DAY = timedelta(days=1)  # what the cooldowns' daily caps count over; wrong codes: ATTEMPT_LIFETIME
WARN_AT = 3  # the third code request for a person in a day tells them
LOCKOUTS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(days=1))
WRONG_PER_STEP = 5  # each further five wrong codes take the lockout one step up


@dataclass(frozen=True)
class Limits:
    cooldown: timedelta  # between two requests
    per_day: int  # requests in a day
    wrong_free: int  # wrong codes in a day before the first lockout
    counted: frozenset[str]  # which attempts are requests


# A person's limits count the codes sent for them; a client's, every request it made that got as far
# as the person's limits (a refusal by the client's own limits is not recorded, so hammering adds
# no rows).
PERSON = Limits(timedelta(minutes=1), per_day=5, wrong_free=5, counted=frozenset({CODE}))
CLIENT = Limits(timedelta(seconds=10), per_day=30, wrong_free=20, counted=frozenset({CODE, REFUSED}))


@dataclass(frozen=True)
class Refusal:
    """Why a request or a code was turned down, and for how long (seconds; 0 when it does not
    apply): WAIT (cooldown), DAILY (the day's codes are used up), LOCKED (too many wrong codes),
    WRONG (that code is wrong; `tries_left`), EXPIRED (ask for a new code)."""

    reason: str
    seconds: int = 0
    tries_left: int = 0

    def text(self) -> Text:
        """What the person who asked reads: one key per reason, each using what it needs."""
        return T(
            f"web.login.refused.{self.reason}",
            seconds=self.seconds,
            minutes=math.ceil(self.seconds / 60),
            hours=math.ceil(self.seconds / 3600),
            tries=self.tries_left,
        )


def person_subject(person_id: int) -> str:
    return f"person:{person_id}"


def typed_subject(typed: str) -> str:
    """What a name that is nobody's is limited by: a hash of what was typed, never the text."""
    return "typed:" + hashlib.sha256(typed.strip().lower().encode()).hexdigest()


def client_key(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def client_address(remote: str | None, forwarded_for: str, trusted_proxies: Sequence[str]) -> str:
    """The address a request came from: behind a trusted proxy (nginx on the same machine), the last
    address it put in X-Forwarded-For; otherwise the connection's own, so nobody else can name an
    address of their choosing."""
    peer = remote or ""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if hops and _is_trusted(peer, trusted_proxies):
        return hops[-1]
    return peer


def _is_trusted(peer: str, trusted: Sequence[str]) -> bool:
    try:
        address = ip_address(peer)
    except ValueError:
        return False
    return any(address in ip_network(network, strict=False) for network in trusted)


@dataclass(frozen=True)
class History:
    """The recent attempts of one subject and one client."""

    subject: list[DashboardAttempt]
    client: list[DashboardAttempt]

    @staticmethod
    def load(session: Session, subject: str, client: str, now: datetime) -> History:
        rows = session.exec(
            select(DashboardAttempt).where(
                or_(col(DashboardAttempt.subject) == subject, col(DashboardAttempt.client) == client),
                col(DashboardAttempt.at) > now - ATTEMPT_LIFETIME,
            )
        ).all()
        return History(
            subject=[row for row in rows if row.subject == subject],
            client=[row for row in rows if row.client == client],
        )

    def client_refusal(self, now: datetime) -> Refusal | None:
        """Why this client may not have a code now, or None."""
        return _locked(self.client, CLIENT, now) or _too_soon(self.client, CLIENT, now)

    def subject_refusal(self, now: datetime) -> Refusal | None:
        """Why no code may be sent for this person now, or None."""
        return _locked(self.subject, PERSON, now) or _too_soon(self.subject, PERSON, now)

    def refuse_check(self, now: datetime) -> Refusal | None:
        """Why no code may be checked now (a lockout), or None."""
        return longest(_locked(self.client, CLIENT, now), _locked(self.subject, PERSON, now))

    def requests_today(self, now: datetime) -> int:
        """Code requests for this subject in the last day, refused ones included."""
        return sum(1 for row in self.subject if row.kind in (CODE, REFUSED) and row.at > now - DAY)


def longest(*refusals: Refusal | None) -> Refusal | None:
    """The refusal that lasts longest: the one the person has to wait out."""
    found = [refusal for refusal in refusals if refusal is not None]
    return max(found, key=lambda refusal: refusal.seconds) if found else None


def _locked(rows: list[DashboardAttempt], limits: Limits, now: datetime) -> Refusal | None:
    """Locked from the wrong code that reached a threshold (`wrong_free`, then every
    `WRONG_PER_STEP` more) for that threshold's time; in between, the tries are free again."""
    wrong = sorted(row.at for row in rows if row.kind == WRONG)
    if len(wrong) < limits.wrong_free:
        return None
    step = (len(wrong) - limits.wrong_free) // WRONG_PER_STEP
    reached = wrong[limits.wrong_free - 1 + step * WRONG_PER_STEP]
    until = reached + LOCKOUTS[min(step, len(LOCKOUTS) - 1)]
    return Refusal(LOCKED, seconds=_seconds(until - now)) if until > now else None


def _too_soon(rows: list[DashboardAttempt], limits: Limits, now: datetime) -> Refusal | None:
    codes = sorted(row.at for row in rows if row.kind in limits.counted and row.at > now - DAY)
    if len(codes) >= limits.per_day:
        return Refusal(DAILY, seconds=_seconds(codes[-limits.per_day] + DAY - now))
    if codes and codes[-1] + limits.cooldown > now:
        return Refusal(WAIT, seconds=_seconds(codes[-1] + limits.cooldown - now))
    return None


def _seconds(span: timedelta) -> int:
    return max(1, math.ceil(span.total_seconds()))


def record(session: Session, kind: str, subject: str, client: str, now: datetime) -> None:
    session.add(DashboardAttempt(at=now, kind=kind, subject=subject, client=client))
