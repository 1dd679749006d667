"""The monitoring tables, channel-neutral: what the coordinator and the class teacher read.

Pure functions over a Session. Every table is limited to a `Scope`: a coordinator sees their
schools, a class teacher their classes. A table is a name, column keys (the header is
`web.col.<key>` in the reader's language) and rows of plain values or `Text` (a status to render).
Dates are days in the school's time zone (the `TZ_NAME` setting); rows of people are in the
alphabetical order of the reader's language (`locales.collation`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from locales import DEFAULT_LANGUAGE, T, subject_name
from locales.collation import sort_key
from models.clock import utcnow
from models.enums import AttemptOutcome, NotificationStatus, SubmissionStatus
from models.homework import Homework, Submission
from models.outbox import DeliveryAttempt, Notification
from models.people import Consent
from models.postal import PostalItem, PostalRound
from models.school import SchoolClass
from models.timetable import Attendance, Lesson
from monitoring.problems import problems_table
from monitoring.scope import Scope, audience, groups, members, names, pupils_sorted
from monitoring.scores import Scored, scored
from monitoring.table import Table, local_day
from monitoring.threads import threads_table

COUNTED = (SubmissionStatus.SUBMITTED.value, SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
REVIEWED = (SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)


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
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    """Per pupil: the parents' decision (given, withdrawn, missing) and its day."""
    decisions: dict[int, list[Consent]] = defaultdict(list)
    for row in session.exec(select(Consent).where(col(Consent.pupil_id).in_(scope.pupil_ids))).all():
        decisions[row.pupil_id].append(row)
    table = Table("consent", ("class", "pupil", "consent", "date"))
    for pupil_id, class_name, name in pupils_sorted(session, scope, language):
        status, when = consent_status(decisions.get(pupil_id, []))
        table.rows.append((class_name, name, T(f"web.consent.{status}"), local_day(when, zone)))
        table.pupils.append(pupil_id)
    return table


def attendance_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    """Per group and week (Monday): lessons marked, present, late, absent."""
    table = Table(
        "attendance", ("group", "subject", "week", "lessons", "present", "late", "absent", "excused")
    )
    for group in groups(session, scope):
        in_group = members(session, group.id or 0, scope)
        rows = session.exec(
            select(Attendance)
            .where(col(Attendance.lesson_id).in_(select(Lesson.id).where(Lesson.group_id == group.id)))
            .where(col(Attendance.pupil_id).in_(in_group))
        ).all()
        weeks: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        lessons: dict[date, set[tuple[int, date]]] = defaultdict(set)
        for row in rows:
            monday = row.on_date - timedelta(days=row.on_date.weekday())
            weeks[monday][row.status] += 1
            weeks[monday]["excused"] += row.excused is True
            lessons[monday].add((row.lesson_id, row.on_date))
        for monday in sorted(weeks):
            counts = weeks[monday]
            table.rows.append(
                (
                    group.code,
                    subject_name(group.subject),
                    monday,
                    len(lessons[monday]),
                    counts["present"],
                    counts["late"],
                    counts["absent"],
                    counts["excused"],
                )
            )
    return table


def homework_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    """Per group: homework set, submitted on time, late, missing (past due), reviewed."""
    table = Table("homework", ("group", "subject", "set", "submitted", "late", "missing", "reviewed"))
    for group in groups(session, scope):
        in_group = members(session, group.id or 0, scope)
        homeworks = session.exec(select(Homework).where(Homework.group_id == group.id)).all()
        on_time = late = missing = reviewed = 0
        for homework in homeworks:
            submissions = session.exec(
                select(Submission).where(
                    Submission.homework_id == homework.id,
                    col(Submission.pupil_id).in_(in_group),
                    col(Submission.status).in_(COUNTED),
                )
            ).all()
            handed_in = {s.pupil_id for s in submissions}
            late += sum(1 for s in submissions if s.late)
            on_time += sum(1 for s in submissions if not s.late)
            reviewed += sum(1 for s in submissions if s.status in REVIEWED)
            if homework.due_at <= now:
                missing += len(in_group - handed_in)
        table.rows.append(
            (group.code, subject_name(group.subject), len(homeworks), on_time, late, missing, reviewed)
        )
    return table


def grades_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
    """Per pupil and subject: graded works, average formative score, average mark, latest percent."""
    table = Table("grades", ("class", "pupil", "subject", "graded", "avg_score", "avg_mark", "latest"))
    by_pupil: dict[tuple[int, str], list[Scored]] = defaultdict(list)
    for work in scored(session, scope.pupil_ids):
        by_pupil[(work.pupil_id, work.subject)].append(work)
    for pupil_id, class_name, name in pupils_sorted(session, scope, language):
        for (pid, subject), works in sorted(by_pupil.items(), key=lambda i: i[0][1]):
            if pid != pupil_id:
                continue
            scores = [w.score for w in works if w.score is not None]
            marks = [w.mark for w in works if w.mark is not None]
            table.rows.append(
                (
                    class_name,
                    name,
                    subject_name(subject),
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


def delivery_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
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
        numbers = tuple(counts[channel][column] for column in table.columns[1:])
        table.rows.append((T(f"web.channel.{channel}"), *numbers))
    return table


def postal_table(
    session: Session, scope: Scope, zone: ZoneInfo, now: datetime, language: str = DEFAULT_LANGUAGE
) -> Table:
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
        pupil_names = names(session, (i.pupil_id for i in items))
        titles = titles_of(session, (i.homework_id for i in items if i.homework_id is not None))
        for item in sorted(items, key=lambda i: sort_key(language, pupil_names.get(i.pupil_id, ""))):
            table.rows.append(
                (
                    postal_round.collection_date,
                    school_class.name,
                    pupil_names.get(item.pupil_id, ""),
                    titles.get(item.homework_id or 0, ""),
                    T(f"web.postal.{item.status}"),
                )
            )
    return table


def titles_of(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.exec(select(Homework).where(col(Homework.id).in_(wanted))).all()
    return {h.id: h.title for h in rows if h.id}


# Every table the dashboard offers, by name, in the order of its tabs. Each is built from the same
# inputs: the scope, the school's time zone (for days), the moment the table is read and the reader's
# language (for the order of names).
BUILDERS: dict[str, Callable[[Session, Scope, ZoneInfo, datetime, str], Table]] = {
    "consent": consent_table,
    "attendance": attendance_table,
    "homework": homework_table,
    "grades": grades_table,
    "delivery": delivery_table,
    "postal": postal_table,
    "threads": threads_table,
    "problems": problems_table,
}
TABLES = tuple(BUILDERS)


def table(
    session: Session,
    scope: Scope,
    name: str,
    zone: ZoneInfo,
    now: datetime | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Table:
    """One of `TABLES` by name (KeyError for another), as read `now` (the wall clock by default), its
    people in the order of `language`'s alphabet."""
    return BUILDERS[name](session, scope, zone, now or utcnow(), language)
