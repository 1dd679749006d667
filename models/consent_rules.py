"""Who may be messaged, by the consent rules of the programme.

Participation is only on a guardian's application, so:

* a **pupil** is reachable only while consent for them is current;
* a **guardian**, tutor, assistant, class teacher or coordinator is reachable;
* a message to a guardian **about a pupil** goes only while that pupil's consent is current, except
  the consent conversation itself (kinds starting with ``consent.``: the request, the confirmation
  of a decision), which must reach a guardian who has not decided yet or has just withdrawn.

Consent is *current* when at least one guardian's latest decision for the pupil (scope
``programme``) is "given" and has not been withdrawn. A later refusal by the same guardian
supersedes an earlier yes; another guardian's yes still counts.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, exists
from sqlmodel import Session, col, select

from models.enums import Role
from models.people import Consent, Guardianship, Membership
from models.school import GroupMember

PROGRAMME_SCOPE = "programme"
CONSENT_KIND_PREFIX = "consent."


# Every turn of a pupil asks: built once.
_DECISIONS = (
    select(Consent)
    .where(Consent.pupil_id == bindparam("pupil"), Consent.scope == bindparam("scope"))
    .order_by(col(Consent.guardian_id), col(Consent.decided_at), col(Consent.id))
)


def has_consent(session: Session, pupil_id: int, scope: str = PROGRAMME_SCOPE) -> bool:
    """Whether some guardian's latest decision for this pupil is a consent still in force."""
    rows = session.exec(_DECISIONS, params={"pupil": pupil_id, "scope": scope}).all()
    latest: dict[int, Consent] = {}
    for row in rows:
        latest[row.guardian_id] = row  # ordered, so the last one per guardian wins
    return any(row.given and row.withdrawn_at is None for row in latest.values())


CHUNK = 500  # ids per IN (…) list


def with_consent(session: Session, pupil_ids: Collection[int]) -> set[int]:
    """The pupils with current consent, read in bulk a chunk at a time: the rule of `has_consent`
    (some guardian's latest decision is a consent not withdrawn)."""
    ids = sorted(pupil_ids)
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        latest: dict[tuple[int, int], Consent] = {}
        for row in session.exec(
            select(Consent)
            .where(col(Consent.pupil_id).in_(ids[start : start + CHUNK]), Consent.scope == PROGRAMME_SCOPE)
            .order_by(col(Consent.decided_at), col(Consent.id))
        ).all():
            latest[(row.pupil_id, row.guardian_id)] = row  # ordered: the last one per guardian wins
        found.update(pupil for (pupil, _), row in latest.items() if row.given and row.withdrawn_at is None)
    return found


def is_pupil(session: Session, person_id: int) -> bool:
    """A pupil is anyone with a pupil membership, a guardian, or a place in a tutoring group."""
    statement = select(
        exists().where(col(Membership.person_id) == person_id, col(Membership.role) == Role.PUPIL)
        | exists().where(col(Guardianship.pupil_id) == person_id)
        | exists().where(col(GroupMember.pupil_id) == person_id)
    )
    return bool(session.exec(statement).one())


def is_consent_kind(kind: str) -> bool:
    return kind.startswith(CONSENT_KIND_PREFIX)


def reachable(session: Session, person_id: int, *, kind: str = "", about_pupil_id: int | None = None) -> bool:
    """Whether a message of `kind` may be written to `person_id` (optionally about a pupil)."""
    if is_consent_kind(kind):
        return True
    if (
        about_pupil_id is not None
        and about_pupil_id != person_id
        and not has_consent(session, about_pupil_id)
    ):
        return False
    if is_pupil(session, person_id):
        return has_consent(session, person_id)
    return True
