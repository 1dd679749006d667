"""Consent: a guardian agrees (or not) to their child's participation, can read what is kept and
why, and can withdraw at any time with /consent. Withdrawal stops every message to and about the
pupil. Each decision is stored with the version of the text shown, the time and the channel."""

from __future__ import annotations

from sqlmodel import col, select

from handlers import catch_up, programmes
from handlers.context import Turn
from handlers.family import children_of, guardians_of, subjects_of
from handlers.types import Choice, Reply
from locales import T, Text
from locales.formats import format_day
from models.clock import to_local
from models.consent_rules import has_consent
from models.enums import Role
from models.journal import AuditLog
from models.people import Consent, Person
from models.store import stored_id
from outbox.write import cancel_about_pupil, enqueue

# The text says how long data is kept; since 2027-01 it names the pupil's programme and its rules.
TEXT_VERSION = "2027-01"
PREFIX = "consent:"


def current(turn: Turn, guardian_id: int, pupil_id: int) -> Consent | None:
    """This guardian's latest decision for this pupil."""
    return turn.session.exec(
        select(Consent)
        .where(Consent.guardian_id == guardian_id, Consent.pupil_id == pupil_id)
        .order_by(col(Consent.decided_at).desc(), col(Consent.id).desc())
    ).first()


def _subjects(turn: Turn, pupil: Person) -> Text:
    """The child's subjects; a child in no group yet is told so, not shown "subjects: —"."""
    names = [T(f"subject.{code}").render(turn.locale) for code in subjects_of(turn.session, stored_id(pupil))]
    return T("consent.subjects_list", subjects=", ".join(names)) if names else T("walk.consent.no_subjects")


def ask(turn: Turn, pupil: Person) -> Reply:
    return Reply(
        T(
            "consent.request",
            pupil=pupil.full_name,
            programme=programmes.names(programmes.programmes_of(turn.session, stored_id(pupil)), turn.locale),
            subjects=_subjects(turn, pupil),
            days=turn.config.retention_days,
        ),
        choices=(
            Choice(f"{PREFIX}yes:{pupil.id}", T("consent.choice.yes")),
            Choice(f"{PREFIX}no:{pupil.id}", T("consent.choice.no")),
            Choice(f"{PREFIX}more:{pupil.id}", T("consent.choice.more")),
        ),
    )


def pending(turn: Turn) -> list[Reply]:
    """Consent questions for every child of this guardian with no decision yet."""
    if turn.person is None or not turn.has_role(Role.GUARDIAN):
        return []
    me = turn.person_id()
    return [
        ask(turn, child)
        for child in children_of(turn.session, me)
        if current(turn, me, stored_id(child)) is None
    ]


def status(turn: Turn) -> list[Reply]:
    """/consent: each child's current decision, with a button to withdraw or to give it."""
    me = turn.person_id()
    children = children_of(turn.session, me)
    if not children:
        return [Reply(T("consent.no_children"))]
    replies = []
    for child in children:
        decision = current(turn, me, stored_id(child))
        if decision is not None and decision.given and decision.withdrawn_at is None:
            replies.append(
                Reply(
                    T(
                        "consent.status.given",
                        pupil=child.full_name,
                        date=format_day(
                            to_local(decision.decided_at, turn.config.time_zone).date(), turn.locale
                        ),
                    ),
                    choices=(Choice(f"{PREFIX}withdraw:{child.id}", T("consent.choice.withdraw")),),
                )
            )
        else:
            replies.append(ask(turn, child))
    return replies


def answer(turn: Turn, value: str) -> list[Reply]:
    action, _, raw_id = value.removeprefix(PREFIX).partition(":")
    me = turn.person_id()
    child = next((c for c in children_of(turn.session, me) if str(c.id) == raw_id), None)
    if child is None or child.id is None:
        return [Reply(T("common.not_allowed"))]
    if action == "more":
        lessons = programmes.lessons_text(programmes.programmes_of(turn.session, child.id)[0])
        return [Reply(T("consent.details", pupil=child.full_name, lessons=lessons)), ask(turn, child)]
    if action in ("yes", "no"):
        earlier = current(turn, me, child.id)
        if earlier is not None and earlier.given == (action == "yes") and earlier.withdrawn_at is None:
            return [Reply(T("consent.unchanged", pupil=child.full_name))]  # asked twice, answered twice
    if action == "yes":
        decision = decide(turn, child.id, given=True)
        return [
            Reply(T("consent.thanks_yes", pupil=child.full_name)),
            *catch_up.consent_given(turn, child, decision),
        ]
    if action == "no":
        decide(turn, child.id, given=False)
        return [Reply(T("consent.thanks_no", pupil=child.full_name))]
    if action == "withdraw":
        withdraw(turn, child.id)
        return [Reply(T("consent.withdrawn", pupil=child.full_name))]
    return [Reply(T("common.not_understood"))]


def pupil_waits_for_parent(turn: Turn) -> list[Reply]:
    """A pupil without consent who writes: told a parent must agree first; each guardian is
    reminded once (the idempotency key makes "once" hold however often the pupil writes)."""
    me = turn.person_id()
    name = turn.person.full_name if turn.person is not None else ""
    for guardian in guardians_of(turn.session, me):
        enqueue(
            turn.session,
            kind="consent.reminder",
            text=T("consent.reminder", pupil=name),
            idempotency_key=f"consent-reminder:{me}:{guardian.id}:",
            person_id=guardian.id,
            about_pupil_id=me,
        )
    return [Reply(T("consent.pupil_needs_parent"))]


def decide(turn: Turn, pupil_id: int, *, given: bool, **how: object) -> int:
    """Store the decision; its id. `how` goes into the audit row (a "yes" typed in answer to the
    school's request, and which message asked: `handlers.consent_by_word`)."""
    decision = Consent(
        guardian_id=turn.person_id(),
        pupil_id=pupil_id,
        text_version=TEXT_VERSION,
        given=given,
        decided_at=turn.now,
        channel=turn.identity.channel,
    )
    turn.session.add(decision)
    turn.session.flush()
    _audit(turn, "consent.given" if given else "consent.refused", decision.id, pupil_id, **how)
    return stored_id(decision)


def withdraw(turn: Turn, pupil_id: int) -> None:
    decision = current(turn, turn.person_id(), pupil_id)
    if decision is not None and decision.withdrawn_at is None:
        decision.withdrawn_at = turn.now
        turn.session.add(decision)
    turn.session.flush()
    if not has_consent(turn.session, pupil_id):
        cancel_about_pupil(turn.session, pupil_id)
    _audit(turn, "consent.withdrawn", decision.id if decision else None, pupil_id)


def _audit(turn: Turn, action: str, consent_id: int | None, pupil_id: int, **how: object) -> None:
    turn.session.add(
        AuditLog(
            actor_id=turn.person.id if turn.person else None,
            action=action,
            entity="consent",
            entity_id=consent_id,
            detail={"pupil_id": pupil_id, "channel": turn.identity.channel, "version": TEXT_VERSION, **how},
        )
    )
