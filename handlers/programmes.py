"""Which programme a pupil takes part in, as the consent request describes it: its name in the
reader's language and its rules (lessons, their length, group size), all data of the programme."""

from __future__ import annotations

from sqlmodel import Session, col, select

from locales import T, Text
from models.school import DIGITAL_TUTOR, GroupMember, Programme, TutoringGroup


def programmes_of(session: Session, pupil_id: int) -> list[Programme]:
    """The programmes of the pupil's groups, by code; a pupil in no group yet is offered the
    Digital Tutor (stored, or with its defaults)."""
    found = list(
        session.exec(
            select(Programme)
            .where(
                col(Programme.id).in_(
                    select(TutoringGroup.programme_id)
                    .join(GroupMember, col(GroupMember.group_id) == TutoringGroup.id)
                    .where(GroupMember.pupil_id == pupil_id)
                )
            )
            .order_by(col(Programme.code))
        ).all()
    )
    if found:
        return found
    stored = session.exec(select(Programme).where(Programme.code == DIGITAL_TUTOR)).first()
    return [stored or Programme(code=DIGITAL_TUTOR, name=DIGITAL_TUTOR)]


def names(programmes: list[Programme], locale: str) -> str:
    return ", ".join(p.consent_name(locale) for p in programmes)


def lessons_text(programme: Programme) -> Text:
    """How the programme's lessons go, for the consent's details."""
    key = "consent.rules.outside_hours" if programme.outside_school_hours else "consent.rules.any_hours"
    return T(
        key,
        lessons=programme.lessons_per_week,
        minutes=programme.lesson_minutes,
        min=programme.min_group_size,
        max=programme.max_group_size,
    )
