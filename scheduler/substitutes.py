"""The coordinator names a substitute tutor for a group and a range of dates, or ends a substitution
early (the command line's `ustaz substitute`, the dashboard's plan page).

Naming one writes the `Substitution` and, in the same transaction, tells the substitute (the group,
the dates, the group's lessons), the group's own tutor and assistant, and the group's families (who
will teach): keys `substitute:{id}:{person_id}:`. Ending one tells the substitute and the tutor
(`substitute-end:{id}:{person_id}:`). What changes for those days is in `models.substitutes`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from locales import T, Text, subject_name
from models.clock import utcnow
from models.enums import Role
from models.people import Guardianship, Membership, Person
from models.school import GroupMember, TutoringGroup
from models.store import stored_id
from models.substitutes import Substitution, active_between
from models.timetable import Lesson
from outbox.write import enqueue
from scheduler.coordinator import Refused
from scheduler.lesson_ranges import check_range

SHOWN_LESSONS = 12


def _shown(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def is_tutor(session: Session, person_id: int) -> bool:
    found = session.exec(
        select(Membership.id).where(Membership.person_id == person_id, Membership.role == Role.TUTOR.value)
    ).first()
    return found is not None


def assign_substitute(
    session: Session,
    group: TutoringGroup,
    substitute: Person,
    first: date,
    last: date,
    *,
    today: date,
    by: int | None = None,
    now: datetime | None = None,
) -> Text:
    """Name `substitute` the group's tutor from `first` to `last`; the confirmation, or `Refused`."""
    substitute_id, group_id = stored_id(substitute), stored_id(group)
    if not is_tutor(session, substitute_id):
        raise Refused(T("substitute.refused.not_tutor", person=substitute.full_name))
    if substitute_id == group.tutor_id:
        raise Refused(T("substitute.refused.own_tutor", person=substitute.full_name, group=group.code))
    check_range(first, last, today, last)  # a substitution may begin today or have begun
    overlapping = active_between(session, first, last, [group_id]).get(group_id, [])
    if overlapping:
        other = overlapping[0]
        raise Refused(
            T(
                "substitute.refused.overlap",
                group=group.code,
                first=_shown(other.starts),
                last=_shown(other.ends),
            )
        )
    moment = now or utcnow()
    row = Substitution(
        group_id=group_id,
        substitute_id=substitute_id,
        starts=first,
        ends=last,
        assigned_by=by,
        assigned_at=moment,
    )
    session.add(row)
    session.flush()
    _tell_assigned(session, row, group, substitute, moment)
    return T(
        "substitute.assigned",
        person=substitute.full_name,
        group=group.code,
        first=_shown(first),
        last=_shown(last),
    )


def end_substitution(session: Session, row: Substitution, *, now: datetime | None = None) -> Text:
    """End a substitution now: the group's own tutor takes it back from today."""
    moment = now or utcnow()
    group = session.get(TutoringGroup, row.group_id)
    substitute = session.get(Person, row.substitute_id)
    if group is None or substitute is None or row.ended_at is not None:
        raise Refused(T("substitute.refused.not_active"))
    row.ended_at = moment
    session.add(row)
    text = T(
        "substitute.ended", group=group.code, subject=subject_name(group.subject), person=substitute.full_name
    )
    for person_id in dict.fromkeys((row.substitute_id, group.tutor_id, group.assistant_id)):
        if person_id is not None:
            enqueue(
                session,
                person_id=person_id,
                kind="substitute.ended",
                text=text,
                idempotency_key=f"substitute-end:{row.id}:{person_id}:",
                due_at=moment,
            )
    return T("substitute.ended_confirm", group=group.code, person=substitute.full_name)


def _lessons_text(session: Session, group_id: int, first: date, last: date) -> str:
    """The group's lessons in the range, as dates and times (at most `SHOWN_LESSONS`)."""
    lessons = session.exec(
        select(Lesson).where(Lesson.group_id == group_id, col(Lesson.active).is_(True))
    ).all()
    found: list[str] = []
    day = first
    while day <= last and len(found) <= SHOWN_LESSONS:
        found += [
            f"{day:%d.%m} {lesson.start_time:%H:%M}"
            for lesson in sorted(lessons, key=lambda lesson: lesson.start_time)
            if lesson.weekday == day.weekday()
        ]
        day += timedelta(days=1)
    return ", ".join(found[:SHOWN_LESSONS]) + (" …" if len(found) > SHOWN_LESSONS else "")


def _tell_assigned(
    session: Session, row: Substitution, group: TutoringGroup, substitute: Person, moment: datetime
) -> None:
    group_id = stored_id(group)
    tutor = session.get(Person, group.tutor_id) if group.tutor_id is not None else None
    common: dict[str, object] = {
        "group": group.code,
        "subject": subject_name(group.subject),
        "first": _shown(row.starts),
        "last": _shown(row.ends),
    }
    pupils = session.exec(
        select(GroupMember.pupil_id)
        .where(GroupMember.group_id == group_id)
        .order_by(col(GroupMember.pupil_id))
    ).all()
    messages: list[tuple[int | None, str, Text, int | None]] = [
        (
            row.substitute_id,
            "substitute.assigned.substitute",
            T(
                "substitute.notice.substitute",
                tutor=tutor.full_name if tutor else "—",
                count=len(pupils),
                lessons=_lessons_text(session, group_id, row.starts, row.ends) or "—",
                **common,
            ),
            None,
        ),
        (
            group.tutor_id,
            "substitute.assigned.tutor",
            T("substitute.notice.tutor", person=substitute.full_name, **common),
            None,
        ),
        (
            group.assistant_id,
            "substitute.assigned.staff",
            T("substitute.notice.staff", person=substitute.full_name, **common),
            None,
        ),
    ]
    family = T("substitute.notice.family", person=substitute.full_name, **common)
    for pupil_id in pupils:
        messages.append((pupil_id, "substitute.assigned.family", family, None))
        for guardian_id in session.exec(
            select(Guardianship.guardian_id).where(Guardianship.pupil_id == pupil_id)
        ).all():
            messages.append((guardian_id, "substitute.assigned.family", family, pupil_id))
    for person_id, kind, text, about in messages:
        if person_id is None:
            continue
        enqueue(
            session,
            person_id=person_id,
            kind=kind,
            text=text,
            idempotency_key=f"substitute:{row.id}:{person_id}:",
            due_at=moment,
            about_pupil_id=about,
        )
