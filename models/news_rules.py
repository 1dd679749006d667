"""What a parent has chosen to hear (`Person.family_news`, set with /digest).

The weekly digest sums up a family's week: lessons attended and missed, work handed in and missing,
new grades. A parent who takes the digest instead of the messages it sums up gets no per-event
message of those kinds (`DIGESTED_KINDS`: a new grade, work missing at its deadline); everything
else — an absence, a cancelled or moved lesson, an announcement, consent — still comes at once.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from models.enums import FamilyNews
from models.people import Person

DIGESTED_KINDS = frozenset({"grade", "homework.missed"})

_NEWS = select(Person.family_news).where(Person.id == bindparam("person"))


def wants_event(session: Session, person_id: int, kind: str) -> bool:
    """Whether a message of `kind` goes to this person as it happens (False: the digest has it)."""
    if kind not in DIGESTED_KINDS:
        return True
    return session.exec(_NEWS, params={"person": person_id}).first() != FamilyNews.DIGEST


def wants_digest(news: str) -> bool:
    return news != FamilyNews.EVENTS
