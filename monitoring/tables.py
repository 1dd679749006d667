"""The monitoring tables, channel-neutral: what the coordinator, the class teacher and the tutor read
under the overview, each limited to a `Scope` and, when one is chosen, a period.

A table is a listing (`monitoring.table`): one SQL statement that counts what the table shows (the
database groups and sums), its column keys (the header is `web.col.<key>` in the reader's language)
and how a row becomes cells (plain values or `Text`); families' waiting threads and reported
problems are listed by `monitoring.threads` and `monitoring.problems`. A page reads one page of a
listing (`page_of`, with a search); an export reads all of it a batch at a time (`stream`). Dates
are days in the school's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, case, func, literal, select, tuple_
from sqlmodel import Session, col

from locales import DEFAULT_LANGUAGE, T, subject_name
from models.clock import utcnow
from models.consent_rules import PROGRAMME_SCOPE
from models.enums import AttendanceStatus, SubmissionStatus
from models.homework import TITLE_CHARS, Feedback, Homework, Submission
from models.people import Consent, Membership, Person
from models.postal import PostalItem, PostalRound
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.timetable import Attendance, Lesson
from monitoring.paging import PAGE_SIZE, Page
from monitoring.periods import Period
from monitoring.problems import problems_listing
from monitoring.scope import GROUP, Scope
from monitoring.sql import (
    Rows,
    alphabetical,
    consented,
    latest_feedback,
    monday_of,
    percent,
    pupil_membership,
)
from monitoring.table import Ask, Cell, Listing, Table, in_days, in_moments, local_day, searched
from monitoring.threads import threads_listing

COUNTED = (SubmissionStatus.SUBMITTED.value, SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
REVIEWED = (SubmissionStatus.GRADED.value, SubmissionStatus.RETURNED.value)
BATCH = 500  # rows an export reads at a time


def _within(column: Any, moments: tuple[datetime, datetime]) -> tuple[Any, Any]:
    return column >= moments[0], column < moments[1]


def _class_of_pupil() -> Any:
    return pupil_membership(col(Person.id))


# -- consent ----------------------------------------------------------------------------------------


def consent_listing(session: Session, ask: Ask) -> Listing:
    """Per pupil: the parents' decision (given, withdrawn or refused, missing) and its day, as it
    stood at the end of the period (now without one)."""
    at = ask.moments()[1]
    decided = select(col(Consent.id)).where(
        col(Consent.pupil_id) == col(Person.id),
        col(Consent.scope) == PROGRAMME_SCOPE,
        col(Consent.decided_at) <= at,
    )
    status = case(
        (consented(col(Person.id), at), literal("given")),
        (decided.exists(), literal("withdrawn")),
        else_=literal("missing"),
    )
    given_on = (
        select(func.max(col(Consent.decided_at)))
        .where(
            col(Consent.pupil_id) == col(Person.id),
            col(Consent.scope) == PROGRAMME_SCOPE,
            col(Consent.given).is_(True),
            col(Consent.withdrawn_at).is_(None),
            col(Consent.decided_at) <= at,
        )
        .scalar_subquery()
    )
    changed_on = (
        select(func.max(func.coalesce(col(Consent.withdrawn_at), col(Consent.decided_at))))
        .where(
            col(Consent.pupil_id) == col(Person.id),
            col(Consent.scope) == PROGRAMME_SCOPE,
            col(Consent.decided_at) <= at,
        )
        .scalar_subquery()
    )
    class_name = func.coalesce(col(SchoolClass.name), literal(""))
    statement = (
        select(
            class_name, col(Person.full_name), status.label("status"), given_on, changed_on, col(Person.id)
        )
        .select_from(Person)
        .join(Membership, _class_of_pupil())
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
        .where(col(Person.id).in_(ask.scope.pupils()))
    )
    statement = searched(session, ask, statement, col(Person.full_name), col(SchoolClass.name))
    zone = ask.zone

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        when = row[3] if row[2] == "given" else row[4] if row[2] == "withdrawn" else None
        return (row[0], row[1], T(f"web.consent.{row[2]}"), local_day(when, zone))

    return Listing(
        "consent",
        ("class", "pupil", "consent", "date"),
        statement.order_by(
            alphabetical(session, class_name, ask.language),
            alphabetical(session, col(Person.full_name), ask.language),
            col(Person.id),
        ),
        cells,
        lambda row: int(row[5]),
    )


# -- attendance -------------------------------------------------------------------------------------


def attendance_listing(session: Session, ask: Ask) -> Listing:
    """Per group and week (Monday): lessons marked, present, late, absent, and the absences a
    family explained that the tutor or assistant excused."""

    def counted(status: AttendanceStatus) -> Any:
        return func.sum(case((col(Attendance.status) == status.value, 1), else_=0))

    # Each lesson held (a lesson on a day) counted from the attendance rows alone, which their index
    # holds (`ix_attendance_pupil_day`); its group is looked up once per lesson held, after.
    week = monday_of(session, col(Attendance.on_date))
    in_groups = ask.scope.in_groups(Lesson.group_id)
    lessons = (
        select(
            col(Attendance.lesson_id).label("lesson_id"),
            week.label("week"),
            counted(AttendanceStatus.PRESENT).label("present"),
            counted(AttendanceStatus.LATE).label("late"),
            counted(AttendanceStatus.ABSENT).label("absent"),
            func.sum(case((col(Attendance.excused).is_(True), 1), else_=0)).label("excused"),
        )
        .where(
            col(Attendance.pupil_id).in_(ask.scope.pupils()),
            *([col(Attendance.lesson_id).in_(select(col(Lesson.id)).where(*in_groups))] if in_groups else []),
            *in_days(col(Attendance.on_date), ask),
        )
        .group_by(col(Attendance.lesson_id), col(Attendance.on_date))
        .subquery()
    )
    statement = (
        select(
            col(TutoringGroup.code),
            col(TutoringGroup.subject),
            lessons.c.week,
            func.count(),
            func.sum(lessons.c.present),
            func.sum(lessons.c.late),
            func.sum(lessons.c.absent),
            func.sum(lessons.c.excused),
        )
        .select_from(lessons)
        .join(Lesson, col(Lesson.id) == lessons.c.lesson_id)
        .join(TutoringGroup, col(TutoringGroup.id) == col(Lesson.group_id))
        .group_by(col(TutoringGroup.code), col(TutoringGroup.subject), lessons.c.week)
    )
    statement = searched(session, ask, statement, col(TutoringGroup.code))

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        week_day = row[2] if isinstance(row[2], date) else date.fromisoformat(str(row[2]))
        return (row[0], subject_name(row[1]), week_day, *(int(value) for value in row[3:]))

    return Listing(
        "attendance",
        ("group", "subject", "week", "lessons", "present", "late", "absent", "excused"),
        statement.order_by(
            alphabetical(session, col(TutoringGroup.code), ask.language),
            col(TutoringGroup.subject),
            lessons.c.week,
        ),
        cells,
    )


# -- homework ---------------------------------------------------------------------------------------


def homework_listing(session: Session, ask: Ask) -> Listing:
    """Per group: homework set (due in the period), handed in on time, late, missing (past the
    deadline), reviewed. A page reads its groups first and counts for those only."""
    groups = searched(
        session, ask, select(col(TutoringGroup.id)).where(col(TutoringGroup.id).in_(ask.scope.groups())),
        col(TutoringGroup.code),
    )  # fmt: skip
    order = (alphabetical(session, col(TutoringGroup.code), ask.language), col(TutoringGroup.id))

    def of_groups(chosen: Any) -> Rows:
        return _homework_counts(ask, chosen).order_by(*order)

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        return (row[0], subject_name(row[1]), *(int(value) for value in row[2:]))

    return Listing(
        "homework",
        ("group", "subject", "set", "submitted", "late", "missing", "reviewed"),
        of_groups(groups),
        cells,
        keys=groups.order_by(*order),
        of_keys=lambda found: of_groups([row[0] for row in found]),
    )


def _homework_counts(ask: Ask, groups: Any) -> Rows:
    """The homework table's counts for `groups` (a list of ids, or a statement of them)."""
    # Homework set for the period: due in it, the days still to come included.
    in_period = (
        list(_within(col(Homework.due_at), ask.period.moments(ask.zone))) if ask.period is not None else []
    )
    # The groups are few (a page's), so a row's pupil is asked about, not looked up in the school's.
    in_scope = ask.scope.holds
    set_count = (
        select(col(Homework.group_id).label("group_id"), func.count().label("n"))
        .where(col(Homework.group_id).in_(groups), *in_period)
        .group_by(col(Homework.group_id))
        .subquery()
    )
    # Whether a work counts is asked in the sums, not the WHERE: a condition on the status would
    # have SQLite read every submission by status instead of the groups' homework's.
    counts = col(Submission.status).in_(COUNTED)
    handed = (
        select(
            col(Homework.group_id).label("group_id"),
            func.sum(case((and_(counts, col(Submission.late).is_(False)), 1), else_=0)).label("on_time"),
            func.sum(case((and_(counts, col(Submission.late).is_(True)), 1), else_=0)).label("late"),
            func.sum(case((col(Submission.status).in_(REVIEWED), 1), else_=0)).label("reviewed"),
        )
        .join(Submission, col(Submission.homework_id) == col(Homework.id))
        .where(col(Homework.group_id).in_(groups), in_scope(col(Submission.pupil_id)), *in_period)
        .group_by(col(Homework.group_id))
        .subquery()
    )
    not_handed = ~(
        select(col(Submission.id))
        .where(
            col(Submission.homework_id) == col(Homework.id),
            col(Submission.pupil_id) == col(GroupMember.pupil_id),
            col(Submission.status).in_(COUNTED),
        )
        .exists()
    )
    missing = (
        select(col(Homework.group_id).label("group_id"), func.count().label("n"))
        .join(GroupMember, col(GroupMember.group_id) == col(Homework.group_id))
        .where(
            col(Homework.group_id).in_(groups),
            col(Homework.due_at) <= ask.now,
            in_scope(col(GroupMember.pupil_id)),
            not_handed,
            *in_period,
        )
        .group_by(col(Homework.group_id))
        .subquery()
    )
    return (
        select(
            col(TutoringGroup.code),
            col(TutoringGroup.subject),
            func.coalesce(set_count.c.n, 0),
            func.coalesce(handed.c.on_time, 0),
            func.coalesce(handed.c.late, 0),
            func.coalesce(missing.c.n, 0),
            func.coalesce(handed.c.reviewed, 0),
        )
        .outerjoin(set_count, set_count.c.group_id == col(TutoringGroup.id))
        .outerjoin(handed, handed.c.group_id == col(TutoringGroup.id))
        .outerjoin(missing, missing.c.group_id == col(TutoringGroup.id))
        .where(col(TutoringGroup.id).in_(groups))
    )


# -- grades -----------------------------------------------------------------------------------------


def grades_listing(session: Session, ask: Ask) -> Listing:
    """Per pupil and subject: works graded (in the period), average formative score, average mark,
    and the latest work's score in %. A page finds its pupils and subjects first, then reads the
    figures of those only (the latest work is a window over each pupil's works)."""

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        return (
            row[0],
            row[1],
            subject_name(row[2]),
            int(row[3]),
            _round(row[4]),
            _round(row[5]),
            _round(row[6]),
        )

    return Listing(
        "grades",
        ("class", "pupil", "subject", "graded", "avg_score", "avg_mark", "latest"),
        _grades(session, ask),
        cells,
        lambda row: int(row[7]),
        keys=_grades(session, ask, keys=True),
        of_keys=lambda found: _grades(session, ask, pairs=[(row[0], row[1]) for row in found]),
    )


def _grades(
    session: Session, ask: Ask, *, keys: bool = False, pairs: list[tuple[int, str]] | None = None
) -> Rows:
    """The grades table in its order: whole; or its keys only (pupil, subject); or whole for some
    keys (`pairs`, which are in scope and searched already)."""
    newest = func.row_number().over(
        partition_by=(col(Submission.pupil_id), col(TutoringGroup.subject)),
        order_by=(col(Feedback.created_at).desc(), col(Feedback.id).desc()),
    )
    figures = [
        col(Feedback.formative_score).label("score"),
        col(Feedback.mark).label("mark"),
        percent(Feedback).label("percent"),
        newest.label("newest"),
    ]
    if pairs is None:
        chosen = [col(Submission.pupil_id).in_(ask.scope.pupils())]
    else:
        chosen = [
            col(Submission.pupil_id).in_({pupil for pupil, _subject in pairs}),
            tuple_(col(Submission.pupil_id), col(TutoringGroup.subject)).in_(pairs),
        ]
    works = (
        select(
            col(Submission.pupil_id).label("pupil_id"),
            col(TutoringGroup.subject).label("subject"),
            *([] if keys else figures),
        )
        .select_from(Feedback)
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(TutoringGroup, col(TutoringGroup.id) == col(Homework.group_id))
        .where(
            col(Submission.status) == SubmissionStatus.GRADED.value,
            latest_feedback(Feedback),
            *chosen,
            *in_moments(col(Feedback.created_at), ask),
        )
        .subquery()
    )
    # Counted per pupil and subject before the pupil's name and class are joined: once a pair,
    # not once a work.
    counted = (
        select(
            works.c.pupil_id,
            works.c.subject,
            *(
                []
                if keys
                else [
                    func.count().label("graded"),
                    func.avg(works.c.score).label("score"),
                    func.avg(works.c.mark).label("mark"),
                    func.max(case((works.c.newest == 1, works.c.percent), else_=None)).label("latest"),
                ]
            ),
        )
        .group_by(works.c.pupil_id, works.c.subject)
        .subquery()
    )
    class_name = func.coalesce(col(SchoolClass.name), literal(""))
    shown = (
        [col(Person.id), counted.c.subject]
        if keys
        else [
            class_name,
            col(Person.full_name),
            counted.c.subject,
            counted.c.graded,
            counted.c.score,
            counted.c.mark,
            counted.c.latest,
            col(Person.id),
        ]
    )
    statement = (
        select(*shown)
        .select_from(counted)
        .join(Person, col(Person.id) == counted.c.pupil_id)
        .join(Membership, _class_of_pupil())
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
    )
    if pairs is None:
        statement = searched(session, ask, statement, col(Person.full_name), col(SchoolClass.name))
    return statement.order_by(
        alphabetical(session, class_name, ask.language),
        alphabetical(session, col(Person.full_name), ask.language),
        col(Person.id),
        counted.c.subject,
    )


def _round(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


# -- Kazpost ----------------------------------------------------------------------------------------


def postal_listing(session: Session, ask: Ask) -> Listing:
    """Every Kazpost round of the classes in scope (collected in the period), one row per item."""
    statement = (
        select(
            col(PostalRound.collection_date),
            col(SchoolClass.name),
            col(Person.full_name),
            col(Homework.text),
            col(PostalItem.status),
            col(Person.id),
        )
        .select_from(PostalItem)
        .join(PostalRound, col(PostalRound.id) == col(PostalItem.round_id))
        .join(SchoolClass, col(SchoolClass.id) == col(PostalRound.class_id))
        .join(Person, col(Person.id) == col(PostalItem.pupil_id))
        .outerjoin(Homework, col(Homework.id) == col(PostalItem.homework_id))
        .where(
            col(PostalRound.class_id).in_(ask.scope.classes()),
            *in_days(col(PostalRound.collection_date), ask),
        )
    )
    statement = searched(session, ask, statement, col(Person.full_name), col(SchoolClass.name))

    def cells(row: Row[*tuple[Any, ...]]) -> tuple[Cell, ...]:
        return (row[0], row[1], row[2], _title(row[3]), T(f"web.postal.{row[4]}"))

    return Listing(
        "postal",
        ("date", "class", "pupil", "homework", "status"),
        statement.order_by(
            col(PostalRound.collection_date).desc(),
            alphabetical(session, col(SchoolClass.name), ask.language),
            alphabetical(session, col(Person.full_name), ask.language),
            col(PostalItem.id),
        ),
        cells,
        lambda row: int(row[5]),
    )


def _title(text: str | None) -> str:
    """A homework as tables name it (`Homework.title`)."""
    stripped = (text or "").strip()
    return stripped.splitlines()[0][:TITLE_CHARS] if stripped else ""


# -- reading a listing -------------------------------------------------------------------------------


def page_of(session: Session, listing: Listing, number: int = 1, size: int = PAGE_SIZE) -> Table:
    """One page of a listing, with how many rows it has in all. A listing of one row per key reads
    the page's keys first and its rows for those keys only; any other is counted by the same query
    as a window over its rows (`COUNT(*) OVER ()`), so its rows are found and grouped once, not
    once to count them and again for the page. Only a page past the end (the list got shorter)
    counts on its own, to show the last page instead."""
    source = listing.keys if listing.keys is not None else listing.statement
    asked: Page[Any] = Page(number=number, size=size, total=number * size)
    found = _counted(session, source, asked)
    if found:
        total = int(found[0][-1])
    else:
        total = int(
            session.execute(select(func.count()).select_from(source.order_by(None).subquery())).scalar_one()
        )
    page: Page[Any] = Page(number=number, size=size, total=total)
    if not found and page.offset != asked.offset:
        found = _counted(session, source, page)
    rows: list[Any] = [row[:-1] for row in found]  # the count left off
    if listing.keys is not None and listing.of_keys is not None:
        rows = list(session.execute(listing.of_keys([row[:-1] for row in found])).all()) if found else []
    return Table(
        listing.name,
        listing.columns,
        [listing.cells(row) for row in rows],
        [listing.pupil(row) for row in rows] if listing.pupil else [],
        page,
    )


def _counted(session: Session, statement: Rows, page: Page[Any]) -> list[Row[Any]]:
    """A page of `statement`'s rows, each with the number of rows of the whole statement last."""
    counted = statement.add_columns(func.count().over()).limit(page.size).offset(page.offset)
    return list(session.execute(counted).all())


def stream(session: Session, listing: Listing) -> Iterator[tuple[Cell, ...]]:
    """Every row of a listing, read from the database a batch at a time."""
    result = session.execute(listing.statement.execution_options(yield_per=BATCH))
    for row in result:
        yield listing.cells(row)


# Every table the dashboard offers, by name, in the order of its tabs; the delivery page has its own
# module (`monitoring.delivery`).
LISTINGS: dict[str, Callable[[Session, Ask], Listing]] = {
    "consent": consent_listing,
    "attendance": attendance_listing,
    "homework": homework_listing,
    "grades": grades_listing,
    "postal": postal_listing,
    "threads": threads_listing,
    "problems": problems_listing,
}
TABLES = tuple(LISTINGS)
# What a tutor or an assistant teacher reads: their groups' pupils, not the classes' post.
GROUP_TABLES = ("consent", "attendance", "homework", "grades", "threads", "problems")


def tables_for(scope: Scope) -> tuple[str, ...]:
    return GROUP_TABLES if scope.level == GROUP else TABLES


def table(
    session: Session,
    scope: Scope,
    name: str,
    zone: ZoneInfo,
    now: datetime | None = None,
    period: Period | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Table:
    """All of one of `TABLES` by name (KeyError for another), as read `now` (the wall clock by
    default), over `period` (all time without one), names in the alphabet of `language`."""
    listing = LISTINGS[name](session, Ask(scope, zone, now or utcnow(), period, language=language))
    rows = session.execute(listing.statement).all()
    return Table(
        name,
        listing.columns,
        [listing.cells(row) for row in rows],
        [listing.pupil(row) for row in rows] if listing.pupil else [],
    )
