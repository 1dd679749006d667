"""A signed paper application kept as the parent's decision: the one place that writes it, whether
it is entered in chat (`handlers.paper`, /paper) or on the dashboard (`bots.web.paper`).

The decision is a `Consent` row on channel "paper", dated at noon of the day of signing, naming
who recorded it and our copy of the photo of the paper; the audit says who recorded what and
where. A withdrawal stops every pending message to and about the pupil, as one given in chat
does. The parent is told through the outbox, in the same transaction.

The same application entered twice (a double click on the dashboard, the same photo sent again) is
one decision: a paper row for the same parent, pupil, decision, day and photo (content-addressed,
so the same paper photographed once has one path) is returned as it is, and nothing more is
written or sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from handlers.consent import TEXT_VERSION
from locales import T
from models.clock import to_utc
from models.consent_rules import has_consent
from models.journal import AuditLog
from models.people import Consent, Person
from models.store import stored_id
from outbox.write import cancel_about_pupil, enqueue

CHANNEL = "paper"
SIGNED_AT = time(12, 0)  # a paper names a day; the decision is dated at its noon


@dataclass(frozen=True)
class Application:
    """What the paper says: who signed it, for which pupil, consent or withdrawal, and when; and
    where our copy of its photo is."""

    pupil: Person
    guardian: Person
    given: bool
    signed_on: date
    document: str


def record(
    session: Session, application: Application, *, recorded_by: int | None, zone: ZoneInfo, where: str
) -> tuple[Consent, bool]:
    """The decision the application is, and whether it is new (False: it was recorded already)."""
    pupil_id, guardian_id = stored_id(application.pupil), stored_id(application.guardian)
    decided_at = to_utc(datetime.combine(application.signed_on, SIGNED_AT), zone)
    same = session.exec(
        select(Consent).where(
            Consent.channel == CHANNEL,
            Consent.pupil_id == pupil_id,
            Consent.guardian_id == guardian_id,
            Consent.given == application.given,
            Consent.decided_at == decided_at,
            Consent.document_path == application.document,
        )
    ).first()
    if same is not None:
        return same, False
    decision = Consent(
        guardian_id=guardian_id,
        pupil_id=pupil_id,
        text_version=TEXT_VERSION,
        given=application.given,
        decided_at=decided_at,
        channel=CHANNEL,
        recorded_by_id=recorded_by,
        document_path=application.document,
    )
    session.add(decision)
    session.flush()
    session.add(
        AuditLog(
            actor_id=recorded_by,
            action="consent.paper_given" if decision.given else "consent.paper_withdrawn",
            entity="consent",
            entity_id=decision.id,
            detail={
                "pupil_id": pupil_id,
                "guardian_id": guardian_id,
                "signed_on": application.signed_on.isoformat(),
                "where": where,
            },
        )
    )
    if not has_consent(session, pupil_id):
        cancel_about_pupil(session, pupil_id)
    key = "paper.notify.given" if decision.given else "paper.notify.withdrawn"
    enqueue(
        session,
        kind="consent.paper",
        text=T(key, pupil=application.pupil.full_name, date=application.signed_on.strftime("%d.%m.%Y")),
        idempotency_key=f"consent-paper:{decision.id}:{guardian_id}:",
        person_id=guardian_id,
        about_pupil_id=pupil_id,
    )
    return decision, True
