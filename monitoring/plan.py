"""The coordinator's plan page, read side: for each school they coordinate, where the year stands
(academic year, half-year, quarter), the days off ahead (holidays, school holidays, the school's own),
its groups and tutors, the substitutions not yet over, and the lessons cancelled ahead."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from locales import T, Text, subject_name
from models.enums import Role
from models.people import Membership, Person
from models.school import School, TutoringGroup
from models.substitutes import Substitution
from models.timetable import Lesson, LessonChange
from schoolyear import Period, calendar_for, span_name

AHEAD = timedelta(days=120)  # how far the page looks for days off and cancellations


@dataclass(frozen=True)
class DaysOff:
    """A run of consecutive days off and every reason within it (the winter holidays hold New Year)."""

    first: date
    last: date
    names: tuple[Text | str, ...]
    estimate: bool  # the data says some of these dates are not confirmed yet


@dataclass(frozen=True)
class GroupRow:
    id: int
    code: str
    subject: Text | str
    tutor: str


@dataclass(frozen=True)
class SubstitutionRow:
    id: int
    group: str
    substitute: str
    tutor: str
    first: date
    last: date


@dataclass(frozen=True)
class CancelledRow:
    group: str
    dates: str
    reason: str


@dataclass
class SchoolPlan:
    id: int
    name: str
    year: Period | None
    half: Period | None
    quarter: Period | None
    days_off: list[DaysOff] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    tutors: list[tuple[int, str]] = field(default_factory=list)
    substitutions: list[SubstitutionRow] = field(default_factory=list)
    cancelled: list[CancelledRow] = field(default_factory=list)


def coordinated(session: Session, person_id: int) -> list[int]:
    """The ids of the schools this person coordinates: the only ones their plan page may change."""
    return sorted(
        session.exec(
            select(Membership.school_id).where(
                Membership.person_id == person_id, Membership.role == Role.COORDINATOR.value
            )
        ).all()
    )


def plans(session: Session, school_ids: list[int], today: date) -> list[SchoolPlan]:
    return [plan_of(session, school, today) for school in _schools(session, school_ids)]


def _schools(session: Session, school_ids: list[int]) -> list[School]:
    return list(session.exec(select(School).where(col(School.id).in_(school_ids)).order_by(col(School.code))))


def plan_of(session: Session, school: School, today: date) -> SchoolPlan:
    school_id = school.id or 0
    calendar = calendar_for(session, school_id)
    plan = SchoolPlan(
        school_id,
        school.name,
        calendar.period_of(today, "year"),
        calendar.period_of(today, "half"),
        calendar.period_of(today, "quarter"),
    )
    day = today
    while day <= today + AHEAD:
        reasons = []
        while day <= today + AHEAD and (reason := calendar.day_off(day)) is not None:
            reasons.append(reason)
            day += timedelta(days=1)
        if reasons:
            first = day - timedelta(days=len(reasons))
            distinct = {(reason.name, reason.moved_from): reason for reason in reasons}
            named = tuple(span_name(reason) for reason in distinct.values())
            estimate = any(reason.estimate for reason in reasons)
            plan.days_off.append(DaysOff(first, day - timedelta(days=1), named, estimate))
        day += timedelta(days=1)
    groups = session.exec(
        select(TutoringGroup).where(TutoringGroup.school_id == school_id).order_by(col(TutoringGroup.code))
    ).all()
    by_id = {g.id or 0: g for g in groups}
    substitutions = session.exec(
        select(Substitution)
        .where(
            col(Substitution.group_id).in_(list(by_id)),
            col(Substitution.ended_at).is_(None),
            Substitution.ends >= today,
        )
        .order_by(col(Substitution.starts))
    ).all()
    names = _names(session, {g.tutor_id or 0 for g in groups} | {s.substitute_id for s in substitutions})
    plan.groups = [
        GroupRow(g.id or 0, g.code, subject_name(g.subject), names.get(g.tutor_id or 0, "")) for g in groups
    ]
    tutors = session.exec(
        select(Person.id, Person.full_name)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(Membership.school_id == school_id, Membership.role == Role.TUTOR.value)
        .order_by(col(Person.full_name))
        .distinct()
    ).all()
    plan.tutors = [(person_id or 0, name) for person_id, name in tutors]
    for row in substitutions:
        group = by_id[row.group_id]
        plan.substitutions.append(
            SubstitutionRow(
                row.id or 0,
                group.code,
                names.get(row.substitute_id, ""),
                names.get(group.tutor_id or 0, ""),
                row.starts,
                row.ends,
            )
        )
    plan.cancelled = _cancelled(session, list(by_id), today)
    return plan


def _names(session: Session, person_ids: set[int]) -> dict[int, str]:
    """The names of the tutors and substitutes the page shows, not of every person in the store (a
    school of 4,000 pupils has some 12,000 people with its parents, a district many times that)."""
    return {
        person_id or 0: name
        for person_id, name in session.exec(
            select(Person.id, Person.full_name).where(col(Person.id).in_(sorted(person_ids)))
        ).all()
    }


def _cancelled(session: Session, group_ids: list[int], today: date) -> list[CancelledRow]:
    """Lessons ahead cancelled by the coordinator, per group and decision (a range, or one date)."""
    rows = session.exec(
        select(LessonChange, TutoringGroup.code)
        .join(Lesson, col(Lesson.id) == LessonChange.lesson_id)
        .join(TutoringGroup, col(TutoringGroup.id) == Lesson.group_id)
        .where(
            col(Lesson.group_id).in_(group_ids),
            col(LessonChange.cancelled).is_(True),
            LessonChange.on_date >= today,
            LessonChange.on_date <= today + AHEAD,
        )
        .order_by(col(TutoringGroup.code), col(LessonChange.on_date))
    ).all()
    decided: dict[tuple[str, str], list[LessonChange]] = {}
    for change, code in rows:
        decided.setdefault((code, change.batch or f"one:{change.id}"), []).append(change)
    return [
        CancelledRow(code, ", ".join(c.on_date.strftime("%d.%m") for c in changes), changes[0].reason)
        for (code, _decision), changes in decided.items()
    ]


def period_text(plan: SchoolPlan) -> Text | None:
    """ "2026–2027 · 2-тоқсан · 1-жартыжылдық", in the reader's language."""
    if plan.year is None:
        return None
    if plan.quarter is None or plan.half is None:
        return T("web.plan.period_year", year=plan.year.year)
    return T("web.plan.period", year=plan.year.year, quarter=plan.quarter.number, half=plan.half.number)
