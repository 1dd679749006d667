"""Who needs attention: the pupils of a scope who, in a period, missed two lessons or more, have
work past its deadline not handed in, have no parent's consent, or whose family no chat channel
reaches. One query finds them, pages them and searches them by name or class.

Of the missed lessons, the list says how many the family explained (a reported problem) and how
many the tutor or assistant excused; the reminder asks the parents about the unexplained ones only.

A family is reached when the pupil or a parent has a Telegram, WhatsApp or SMS channel that is not
blocked and did not send STOP; a family on post is marked so (Kazpost carries its paper).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, literal, or_, select
from sqlmodel import Session, col

from models.enums import AttendanceStatus, Channel, Role
from models.homework import Homework, Submission
from models.people import ChannelIdentity, Guardianship, Membership, Person
from models.school import GroupMember, School, SchoolClass
from models.timetable import Attendance, Lesson
from monitoring.figures import COUNTED, Reading, in_period
from monitoring.paging import Page
from monitoring.sql import Rows, alphabetical, consented, contains

MISSED_LESSONS = 2  # absences in the period from which a pupil is listed
NEEDS = ("absent", "missing", "consent", "channel")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Attention:
    """A pupil who needs attention, and why."""

    pupil_id: int
    name: str
    class_name: str
    absences: int
    explained: int  # of the absences, those the pupil or a parent gave a reason for
    excused: int  # of those, the ones the tutor or assistant excused
    missing: int
    consent: bool
    reachable: bool
    by_post: bool
    family: list[Contact] = field(default_factory=list)
    school: str = ""  # the pupil's school, for a district's list of many

    @property
    def needs(self) -> list[str]:
        found = []
        if self.absences >= MISSED_LESSONS:
            found.append("absent")
        if self.missing:
            found.append("missing")
        if not self.consent:
            found.append("consent")
        if not self.reachable:
            found.append("channel")
        return found

    @property
    def unexplained(self) -> int:
        return self.absences - self.explained

    @property
    def reminders(self) -> list[str]:
        """What a reminder to this family may say: only a consent reminder while there is no consent
        (consent gates everything else); nothing when no channel reaches them; about missed lessons
        only while some have no reason given (the family already told why of the others)."""
        if not self.reachable:
            return []
        if not self.consent:
            return ["consent"]
        found = ["absent"] if "absent" in self.needs and self.unexplained else []
        return found + (["missing"] if "missing" in self.needs else [])


CHAT_CHANNELS = (Channel.TELEGRAM.value, Channel.WHATSAPP.value, Channel.SMS.value)


LIVE = (
    col(ChannelIdentity.channel).in_(CHAT_CHANNELS),
    col(ChannelIdentity.blocked_at).is_(None),
    col(ChannelIdentity.opted_out_at).is_(None),
)


def family_reached(pupil: Any) -> Any:
    """The pupil or one of their parents has a chat channel that can carry a message now."""
    own = select(col(ChannelIdentity.id)).where(col(ChannelIdentity.person_id) == pupil, *LIVE).exists()
    parents = (
        select(col(ChannelIdentity.id))
        .join(Guardianship, col(Guardianship.guardian_id) == col(ChannelIdentity.person_id))
        .where(col(Guardianship.pupil_id) == pupil, *LIVE)
        .exists()
    )
    return or_(own, parents)


def _absences(reading: Reading, pupil: Any, *only: Any) -> Any:
    """How many lessons of the period (to today) `pupil` missed, of the scope's groups, and `only`
    those."""
    return (
        select(func.count())
        .select_from(Attendance)
        .join(Lesson, col(Lesson.id) == col(Attendance.lesson_id))
        .where(
            col(Attendance.pupil_id) == pupil,
            col(Attendance.on_date) >= reading.period.start,
            col(Attendance.on_date) <= min(reading.period.end, reading.today),
            col(Attendance.status) == AttendanceStatus.ABSENT.value,
            *reading.scope.in_groups(Lesson.group_id),
            *only,
        )
        .scalar_subquery()
    )


def candidates(session: Session, reading: Reading) -> Rows:
    """Every pupil in scope with their counts and flags (a subquery's worth of columns). The counts
    are looked up per pupil (by the pupil's own index entries), so a school of thousands costs a
    few look-ups a pupil, whatever the planner makes of joins. Work missing is counted in one pass
    from the pupil's groups' homework due, each probed for a work of theirs handed in, all from
    indexes (migration 0021_speed): not works due less works handed in, two passes of which the
    second read every work of the pupil's from the table."""
    pupil = col(Person.id)
    handed_in = (
        select(col(Submission.id))
        .where(
            col(Submission.pupil_id) == col(GroupMember.pupil_id),
            col(Submission.homework_id) == col(Homework.id),
            col(Submission.status).in_(COUNTED),
        )
        .exists()
    )
    missing = (
        select(func.count())
        .select_from(GroupMember)
        .join(Homework, col(Homework.group_id) == col(GroupMember.group_id))
        .where(col(GroupMember.pupil_id) == pupil, *in_period(reading), ~handed_in)
        .scalar_subquery()
    )
    return (
        select(
            pupil.label("pupil_id"),
            col(Person.full_name).label("name"),
            func.coalesce(col(SchoolClass.name), literal("")).label("class_name"),
            _absences(reading, pupil).label("absences"),
            _absences(reading, pupil, col(Attendance.reason).is_not(None)).label("explained"),
            _absences(reading, pupil, col(Attendance.excused).is_(True)).label("excused"),
            missing.label("missing"),
            case((consented(pupil, reading.now), 1), else_=0).label("consent"),
            case((family_reached(pupil), 1), else_=0).label("reachable"),
            col(Person.by_post).label("by_post"),
        )
        .select_from(Membership)
        .join(Person, pupil == col(Membership.person_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(col(Membership.role) == Role.PUPIL.value, reading.scope.covers(Membership.person_id))
    )


def one(session: Session, reading: Reading, pupil_id: int) -> Attention | None:
    """One pupil of the scope, with their counts and flags (needing attention or not)."""
    rows = candidates(session, reading).subquery()
    row = session.execute(select(rows).where(rows.c.pupil_id == pupil_id)).first()
    return _listed(row, []) if row is not None else None


def _listed(row: Any, family: list[Contact], school: str = "") -> Attention:
    """A row of `candidates` as the page shows it."""
    return Attention(
        row.pupil_id,
        row.name,
        row.class_name,
        int(row.absences),
        int(row.explained),
        int(row.excused),
        int(row.missing),
        bool(row.consent),
        bool(row.reachable),
        bool(row.by_post),
        family,
        school,
    )


def _flagged(rows: Any, need: str) -> Any:
    conditions = {
        "absent": rows.c.absences >= MISSED_LESSONS,
        "missing": rows.c.missing > 0,
        "consent": rows.c.consent == 0,
        "channel": rows.c.reachable == 0,
    }
    if need in conditions:
        return conditions[need]
    return or_(*conditions.values())


def attention(
    session: Session, reading: Reading, *, need: str = "", search: str = "", page: int = 1, size: int = 25
) -> Page[Attention]:
    """The pupils who need attention (`need`: only one kind of need), most reasons first, then by
    class and name; one page of them, with their families' names and phones. One query gives the
    page and the total; a second only when the page asked for is empty. The candidates are worked
    out once (a materialised CTE): as a subquery, both databases copied each count into the filter
    and the order too, and worked it out there again for every pupil."""
    rows = candidates(session, reading).cte("candidates").prefix_with("MATERIALIZED")
    statement = select(rows, func.count().over().label("total")).where(_flagged(rows, need))
    if search.strip():
        statement = statement.where(
            or_(
                contains(session, rows.c.name, search.strip()),
                contains(session, rows.c.class_name, search.strip()),
            )
        )
    reasons = (
        case((rows.c.absences >= MISSED_LESSONS, 1), else_=0)
        + case((rows.c.missing > 0, 1), else_=0)
        + (1 - rows.c.consent)
        + (1 - rows.c.reachable)
    )
    ordered = statement.order_by(
        reasons.desc(),
        alphabetical(session, rows.c.class_name, reading.language),
        alphabetical(session, rows.c.name, reading.language),
        rows.c.pupil_id,
    )
    wanted: Page[Attention] = Page(number=page, size=size, total=page * size)
    listed = _rows(session, ordered, wanted)
    if listed:
        total = int(listed[0].total)
    else:  # none on that page: there may be none at all, or it is past the last page
        total = int(session.execute(select(func.count()).select_from(statement.subquery())).scalar_one())
    found: Page[Attention] = Page(number=page, size=size, total=total)
    if found.offset != wanted.offset:
        listed = _rows(session, ordered, found)
    shown = [row.pupil_id for row in listed]
    families, schools = _families(session, shown), _schools(session, shown)
    found.items = [
        _listed(row, families.get(row.pupil_id, []), schools.get(row.pupil_id, "")) for row in listed
    ]
    return found


def _schools(session: Session, pupils: list[int]) -> dict[int, str]:
    """Each listed pupil's school, read for the page's pupils only (a district's list names it)."""
    return {
        pupil: name
        for pupil, name in session.execute(
            select(col(Membership.person_id), col(School.name))
            .join(School, col(School.id) == col(Membership.school_id))
            .where(col(Membership.person_id).in_(pupils), col(Membership.role) == Role.PUPIL.value)
            .order_by(col(Membership.id).desc())  # the first written wins
        ).all()
    }


def _rows(session: Session, ordered: Rows, page: Page[Attention]) -> list[Any]:
    """One page of the ordered list; each row carries how many there are in all (`count(*) over ()`),
    so the pupils' counts are worked out once for the total and the page alike."""
    return list(session.execute(ordered.limit(page.size).offset(page.offset)).all())


def _families(session: Session, pupils: list[int]) -> dict[int, list[Contact]]:
    if not pupils:
        return {}
    found: dict[int, list[Contact]] = {}
    for pupil, name, phone in session.execute(
        select(col(Guardianship.pupil_id), col(Person.full_name), col(Person.phone))
        .join(Person, col(Person.id) == col(Guardianship.guardian_id))
        .where(col(Guardianship.pupil_id).in_(pupils))
        .order_by(col(Guardianship.id))
    ).all():
        found.setdefault(pupil, []).append(Contact(name, phone or ""))
    return found
