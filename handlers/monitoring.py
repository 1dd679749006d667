"""The programme's monitoring, channel-neutral: what the coordinator and the class teacher read.

Pure functions over a Session. Every table is limited to a `Scope`: a coordinator sees their
schools, a class teacher their classes. A table is a name, column keys (the header is
`web.col.<key>` in the reader's language) and rows of plain values or `Text` (a status to render).
Rows of people are in the alphabetical order of the reader's language (`locales.collation`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE, T, Text
from locales.collation import sort_key
from locales.shorten import headline
from models.clock import utcnow
from models.enums import AttemptOutcome, NotificationStatus, Role, SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.outbox import DeliveryAttempt, Notification
from models.people import Consent, Guardianship, Membership, Person
from models.postal import PostalItem, PostalRound
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.timetable import Attendance, Lesson

Cell = str | int | float | date | Text | None
ALMATY = ZoneInfo("Asia/Almaty")
COUNTED = (SubmissionStatus.SUBMITTED.value, SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
REVIEWED = (SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
TABLES = ("consent", "attendance", "homework", "grades", "delivery", "postal")
TITLE_CHARS = 40


@dataclass(frozen=True)
class Scope:
    """Who is looking and what they may see."""

    person_id: int
    school_ids: frozenset[int]
    class_ids: frozenset[int]
    pupil_ids: frozenset[int]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    # The pupil each row is about, when there is one (the page links it to the pupil's page).
    pupils: list[int | None] = field(default_factory=list)


@dataclass(frozen=True)
class Point:
    on: date
    percent: float


@dataclass
class PupilView:
    pupil_id: int
    name: str
    class_name: str
    attendance: Table
    submissions: Table
    growth: Table
    series: dict[str, list[Point]] = field(default_factory=dict)


def scope_of(session: Session, person_id: int) -> Scope | None:
    """The coordinator's schools or the class teacher's classes; None for anyone else."""
    memberships = session.exec(select(Membership).where(Membership.person_id == person_id)).all()
    schools = {m.school_id for m in memberships if m.role == Role.COORDINATOR.value}
    led = {m.class_id for m in memberships if m.role == Role.CLASS_TEACHER.value and m.class_id is not None}
    if not schools and not led:
        return None
    class_rows = session.exec(
        select(SchoolClass).where(col(SchoolClass.school_id).in_(schools) | col(SchoolClass.id).in_(led))
    ).all()
    class_ids = {c.id for c in class_rows if c.id is not None}
    pupils = session.exec(
        select(Membership.person_id).where(
            Membership.role == Role.PUPIL.value,
            col(Membership.school_id).in_(schools) | col(Membership.class_id).in_(class_ids),
        )
    ).all()
    return Scope(
        person_id=person_id,
        school_ids=frozenset(schools | {c.school_id for c in class_rows}),
        class_ids=frozenset(class_ids),
        pupil_ids=frozenset(pupils),
    )


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Person).where(col(Person.id).in_(wanted))).all()
    return {p.id: p.full_name for p in rows if p.id is not None}


def _class_of(session: Session, scope: Scope) -> dict[int, str]:
    """Pupil id → class name, for the pupils in scope."""
    rows = session.exec(
        select(Membership.person_id, SchoolClass.name)
        .where(col(Membership.class_id) == col(SchoolClass.id), Membership.role == Role.PUPIL.value)
        .where(col(Membership.person_id).in_(scope.pupil_ids))
    ).all()
    return {person_id: name for person_id, name in rows}


def _pupils_sorted(session: Session, scope: Scope, language: str) -> list[tuple[int, str, str]]:
    """(id, class, name) of the pupils in scope, by class then name, as the reader's alphabet has it."""
    names = _names(session, scope.pupil_ids)
    classes = _class_of(session, scope)
    rows = [(pid, classes.get(pid, ""), names.get(pid, "")) for pid in scope.pupil_ids]
    return sorted(rows, key=lambda r: (sort_key(language, r[1]), sort_key(language, r[2]), r[0]))


def _groups(session: Session, scope: Scope) -> list[TutoringGroup]:
    """Tutoring groups owned by a school in scope or holding a pupil in scope."""
    member_groups = select(GroupMember.group_id).where(col(GroupMember.pupil_id).in_(scope.pupil_ids))
    return list(
        session.exec(
            select(TutoringGroup)
            .where(
                col(TutoringGroup.school_id).in_(scope.school_ids) | col(TutoringGroup.id).in_(member_groups)
            )
            .order_by(col(TutoringGroup.code))
        ).all()
    )


def _members(session: Session, group_id: int, scope: Scope) -> set[int]:
    pupils = session.exec(select(GroupMember.pupil_id).where(GroupMember.group_id == group_id)).all()
    return {p for p in pupils if p in scope.pupil_ids}


def consent_status(decisions: list[Consent]) -> tuple[str, datetime | None]:
    """given / withdrawn / missing, with the date, from one pupil's decisions (any guardian)."""
    latest: dict[int, Consent] = {}
    for row in sorted(decisions, key=lambda c: (c.decided_at, c.id or 0)):
        latest[row.guardian_id] = row
    current = [c for c in latest.values() if c.given and c.withdrawn_at is None]
    if current:
        return "given", max(c.decided_at for c in current)
    if latest:
        return "withdrawn", max((c.withdrawn_at or c.decided_at) for c in latest.values())
    return "missing", None


def consent_table(
    session: Session, scope: Scope, zone: ZoneInfo = ALMATY, language: str = DEFAULT_LANGUAGE
) -> Table:
    decisions: dict[int, list[Consent]] = defaultdict(list)
    for row in session.exec(select(Consent).where(col(Consent.pupil_id).in_(scope.pupil_ids))).all():
        decisions[row.pupil_id].append(row)
    table = Table("consent", ("class", "pupil", "consent", "date"))
    for pupil_id, class_name, name in _pupils_sorted(session, scope, language):
        status, when = consent_status(decisions.get(pupil_id, []))
        table.rows.append((class_name, name, T(f"web.consent.{status}"), _day(when, zone)))
        table.pupils.append(pupil_id)
    return table


def _day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def attendance_table(session: Session, scope: Scope) -> Table:
    """Per group and week (Monday): lessons marked, present, late, absent."""
    table = Table("attendance", ("group", "subject", "week", "lessons", "present", "late", "absent"))
    for group in _groups(session, scope):
        members = _members(session, group.id or 0, scope)
        rows = session.exec(
            select(Attendance)
            .where(col(Attendance.lesson_id).in_(select(Lesson.id).where(Lesson.group_id == group.id)))
            .where(col(Attendance.pupil_id).in_(members))
        ).all()
        weeks: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        lessons: dict[date, set[tuple[int, date]]] = defaultdict(set)
        for row in rows:
            monday = row.on_date - timedelta(days=row.on_date.weekday())
            weeks[monday][row.status] += 1
            lessons[monday].add((row.lesson_id, row.on_date))
        for monday in sorted(weeks):
            counts = weeks[monday]
            table.rows.append(
                (
                    group.code,
                    T(f"subject.{group.subject}"),
                    monday,
                    len(lessons[monday]),
                    counts["present"],
                    counts["late"],
                    counts["absent"],
                )
            )
    return table


def homework_table(session: Session, scope: Scope, now: datetime | None = None) -> Table:
    """Per group: homework set, submitted on time, late, missing (past due), reviewed."""
    moment = now or utcnow()
    table = Table("homework", ("group", "subject", "set", "submitted", "late", "missing", "reviewed"))
    for group in _groups(session, scope):
        members = _members(session, group.id or 0, scope)
        homeworks = session.exec(select(Homework).where(Homework.group_id == group.id)).all()
        on_time = late = missing = reviewed = 0
        for homework in homeworks:
            submissions = session.exec(
                select(Submission).where(
                    Submission.homework_id == homework.id,
                    col(Submission.pupil_id).in_(members),
                    col(Submission.status).in_(COUNTED),
                )
            ).all()
            handed_in = {s.pupil_id for s in submissions}
            late += sum(1 for s in submissions if s.late)
            on_time += sum(1 for s in submissions if not s.late)
            reviewed += sum(1 for s in submissions if s.status in REVIEWED)
            if homework.due_at <= moment:
                missing += len(members - handed_in)
        table.rows.append(
            (group.code, T(f"subject.{group.subject}"), len(homeworks), on_time, late, missing, reviewed)
        )
    return table


@dataclass(frozen=True)
class Scored:
    pupil_id: int
    subject: str
    at: datetime
    percent: float | None
    score: int | None
    mark: int | None


def percent_of(feedback: Feedback) -> float | None:
    """A comparable score: points over maximum, or the formative score of 1–10 as tenths."""
    if feedback.points is not None and feedback.max_points:
        return round(100.0 * feedback.points / feedback.max_points, 1)
    if feedback.formative_score is not None:
        return float(feedback.formative_score * 10)
    return None


def _scored(session: Session, pupil_ids: Iterable[int]) -> list[Scored]:
    """The latest feedback of every reviewed submission of these pupils, oldest first."""
    rows = session.exec(
        select(Feedback, Submission, TutoringGroup)
        .where(col(Feedback.submission_id) == col(Submission.id))
        .where(col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id) == col(TutoringGroup.id))
        .where(
            col(Submission.pupil_id).in_(set(pupil_ids)), Submission.status == SubmissionStatus.GRADED.value
        )
        .order_by(col(Feedback.created_at), col(Feedback.id))
    ).all()
    latest: dict[int, Scored] = {}
    for feedback, submission, group in rows:
        assert submission.id is not None
        latest[submission.id] = Scored(
            submission.pupil_id,
            group.subject,
            feedback.created_at,
            percent_of(feedback),
            feedback.formative_score,
            feedback.mark,
        )
    return sorted(latest.values(), key=lambda s: s.at)


def grades_table(session: Session, scope: Scope, language: str = DEFAULT_LANGUAGE) -> Table:
    """Per pupil and subject: graded works, average formative score, average mark, latest percent."""
    table = Table("grades", ("class", "pupil", "subject", "graded", "avg_score", "avg_mark", "latest"))
    by_pupil: dict[tuple[int, str], list[Scored]] = defaultdict(list)
    for scored in _scored(session, scope.pupil_ids):
        by_pupil[(scored.pupil_id, scored.subject)].append(scored)
    for pupil_id, class_name, name in _pupils_sorted(session, scope, language):
        for (pid, subject), works in sorted(by_pupil.items(), key=lambda i: i[0][1]):
            if pid != pupil_id:
                continue
            scores = [w.score for w in works if w.score is not None]
            marks = [w.mark for w in works if w.mark is not None]
            table.rows.append(
                (
                    class_name,
                    name,
                    T(f"subject.{subject}"),
                    len(works),
                    _mean(scores),
                    _mean(marks),
                    works[-1].percent,
                )
            )
            table.pupils.append(pupil_id)
    return table


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def audience(session: Session, scope: Scope) -> set[int]:
    """People whose messages count for this scope: its pupils, their guardians, its staff."""
    guardians = session.exec(
        select(Guardianship.guardian_id).where(col(Guardianship.pupil_id).in_(scope.pupil_ids))
    ).all()
    staff = session.exec(
        select(Membership.person_id).where(
            col(Membership.class_id).in_(scope.class_ids)
            | (col(Membership.school_id).in_(scope.school_ids) & col(Membership.class_id).is_(None))
        )
    ).all()
    return set(scope.pupil_ids) | set(guardians) | set(staff)


def delivery_table(session: Session, scope: Scope) -> Table:
    """By channel: messages delivered (whole, or cut short to fit an SMS), attempts retried or failed
    (blocked included), and messages no channel could carry (the class teacher's phone-or-paper
    list)."""
    people = audience(session, scope)
    notifications = select(Notification.id).where(col(Notification.person_id).in_(people))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    attempts = session.exec(
        select(DeliveryAttempt.channel, DeliveryAttempt.outcome).where(
            col(DeliveryAttempt.notification_id).in_(notifications)
        )
    ).all()
    for channel, outcome in attempts:
        if outcome == AttemptOutcome.DELIVERED.value:
            counts[channel]["delivered"] += 1
        elif outcome == AttemptOutcome.CUT.value:
            counts[channel]["cut"] += 1
        elif outcome == AttemptOutcome.RETRY.value:
            counts[channel]["retried"] += 1
        elif outcome in (AttemptOutcome.FAILED.value, AttemptOutcome.BLOCKED.value):
            counts[channel]["failed"] += 1
    unreached = session.exec(
        select(Notification.channel).where(
            col(Notification.person_id).in_(people),
            Notification.status == NotificationStatus.NO_CHANNEL.value,
        )
    ).all()
    for last_channel in unreached:
        counts[last_channel or "none"]["no_channel"] += 1
    table = Table("delivery", ("channel", "delivered", "cut", "retried", "failed", "no_channel"))
    for channel in sorted(counts):
        c = counts[channel]
        numbers = tuple(c[column] for column in table.columns[1:])
        table.rows.append((T(f"web.channel.{channel}"), *numbers))
    return table


def postal_table(session: Session, scope: Scope, language: str = DEFAULT_LANGUAGE) -> Table:
    """Every Kazpost round of the classes in scope, one row per item."""
    table = Table("postal", ("date", "class", "pupil", "homework", "status"))
    rounds = session.exec(
        select(PostalRound, SchoolClass)
        .where(col(PostalRound.class_id) == col(SchoolClass.id))
        .where(col(PostalRound.class_id).in_(scope.class_ids))
        .order_by(col(PostalRound.collection_date).desc(), col(SchoolClass.name))
    ).all()
    for postal_round, school_class in rounds:
        items = session.exec(select(PostalItem).where(PostalItem.round_id == postal_round.id)).all()
        names = _names(session, (i.pupil_id for i in items))
        titles = _titles(session, (i.homework_id for i in items if i.homework_id is not None))
        for item in sorted(items, key=lambda i: sort_key(language, names.get(i.pupil_id, ""))):
            table.rows.append(
                (
                    postal_round.collection_date,
                    school_class.name,
                    names.get(item.pupil_id, ""),
                    titles.get(item.homework_id or 0, ""),
                    T(f"web.postal.{item.status}"),
                )
            )
    return table


def _titles(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Homework).where(col(Homework.id).in_(wanted))).all()
    return {h.id: headline(h.text, TITLE_CHARS) for h in rows if h.id}


def table(
    session: Session, scope: Scope, name: str, now: datetime | None = None, language: str = DEFAULT_LANGUAGE
) -> Table:
    """One of `TABLES` by name, its people in the order of `language`'s alphabet."""
    if name == "consent":
        return consent_table(session, scope, language=language)
    if name == "attendance":
        return attendance_table(session, scope)
    if name == "homework":
        return homework_table(session, scope, now)
    if name == "grades":
        return grades_table(session, scope, language)
    if name == "delivery":
        return delivery_table(session, scope)
    if name == "postal":
        return postal_table(session, scope, language)
    raise KeyError(name)


def pupil_view(session: Session, scope: Scope, pupil_id: int, zone: ZoneInfo = ALMATY) -> PupilView | None:
    """One pupil's monitoring page, or None when the pupil is not in scope."""
    if pupil_id not in scope.pupil_ids:
        return None
    person = session.get(Person, pupil_id)
    if person is None:
        return None
    attendance = Table("pupil_attendance", ("date", "subject", "status"))
    for row, group in session.exec(
        select(Attendance, TutoringGroup)
        .where(col(Attendance.lesson_id) == col(Lesson.id))
        .where(col(Lesson.group_id) == col(TutoringGroup.id))
        .where(Attendance.pupil_id == pupil_id)
        .order_by(col(Attendance.on_date))
    ).all():
        attendance.rows.append(
            (row.on_date, T(f"subject.{group.subject}"), T(f"web.attendance.{row.status}"))
        )
    submissions = Table("pupil_submissions", ("date", "subject", "homework", "late", "status"))
    for submission, homework, group in session.exec(
        select(Submission, Homework, TutoringGroup)
        .where(col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id) == col(TutoringGroup.id))
        .where(Submission.pupil_id == pupil_id, col(Submission.status).in_(COUNTED))
        .order_by(col(Submission.submitted_at))
    ).all():
        submissions.rows.append(
            (
                _day(submission.submitted_at, zone),
                T(f"subject.{group.subject}"),
                _titles(session, [homework.id or 0]).get(homework.id or 0, ""),
                T("web.yes") if submission.late else T("web.no"),
                T(f"web.submission.{submission.status}"),
            )
        )
    series: dict[str, list[Point]] = defaultdict(list)
    for scored in _scored(session, [pupil_id]):
        if scored.percent is not None:
            series[scored.subject].append(Point(scored.at.astimezone(zone).date(), scored.percent))
    growth = Table("pupil_growth", ("subject", "first", "latest", "growth"))
    for subject, points in sorted(series.items()):
        first, latest = points[0].percent, points[-1].percent
        growth.rows.append((T(f"subject.{subject}"), first, latest, round(latest - first, 1)))
    return PupilView(
        pupil_id=pupil_id,
        name=person.full_name,
        class_name=_class_of(session, scope).get(pupil_id, ""),
        attendance=attendance,
        submissions=submissions,
        growth=growth,
        series=dict(series),
    )
