"""SQL pieces the monitoring queries share, written once for SQLite and PostgreSQL: the local day of
a moment, the Monday of a day, a search that ignores letter case in Kazakh and Russian too, names in
the reader's alphabetical order, whether a pupil's consent stood at a moment, and a work's score as a
percentage.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    collate,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from locales.collation import collation
from models.consent_rules import PROGRAMME_SCOPE
from models.enums import Role, SubmissionStatus
from models.homework import Feedback, Homework, Submission
from models.people import Consent, Membership
from models.school import TutoringGroup

# A statement of any columns, as the listings and measures pass them around.
Rows = Select[*tuple[Any, ...]]
FOLD = "ustaz_fold"  # SQLite's lower() folds ASCII only; this one folds every letter


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def local_day(session: Session, moment: Any, zone: ZoneInfo) -> ColumnElement[Any]:
    """The day a stored UTC moment falls on in `zone`, as the database's date (SQLite: 'YYYY-MM-DD').
    The zone and the modifiers are written into the statement, not bound: PostgreSQL takes a GROUP
    BY expression for the select's own only when the two are written the same."""
    if dialect(session) == "postgresql":
        return func.date(func.timezone(_sql_text(zone.key), moment))
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return func.date(moment, _sql_text(f"{minutes:+d} minutes"))


def monday_of(session: Session, day: Any) -> ColumnElement[Any]:
    """The Monday of the week a date falls in."""
    if dialect(session) == "postgresql":
        return func.date(func.date_trunc(_sql_text("week"), day))
    return func.date(day, _sql_text("weekday 0"), _sql_text("-6 days"))


def _sql_text(value: str) -> ColumnElement[Any]:
    """A constant string written into the statement (quotes doubled)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def contains(session: Session, column: Any, typed: str) -> ColumnElement[bool]:
    """`column` contains `typed`, whatever the letter case (Ә and ә, Ж and ж alike)."""
    pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect(session) == "postgresql":
        return col(column).ilike(pattern, escape="\\")
    _register_fold(session)
    folded: ColumnElement[str] = getattr(func, FOLD)(column)
    return folded.like(pattern.casefold(), escape="\\")


def _register_fold(session: Session) -> None:
    """SQLite learns `ustaz_fold` (Python's casefold) on the connection this session uses."""
    raw = session.connection().connection.driver_connection
    if raw is not None:
        raw.create_function(FOLD, 1, _fold, deterministic=True)


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def alphabetical(session: Session, column: Any, language: str) -> ColumnElement[Any]:
    """`column` to ORDER BY in the alphabet of a reader of `language` (`locales.collation`): Kazakh
    names with «Қ» and «Ә» in their places, not after «Я» as the database's own order puts them.
    PostgreSQL sorts under an ICU collation (migration 0012_collate), SQLite by a function of the same
    name giving each text's sort bytes (`models.store`)."""
    name = collation(language)
    if dialect(session) == "postgresql":
        return collate(column, name)
    keyed: ColumnElement[Any] = getattr(func, name)(column)
    return keyed


def consented_pupils(at: datetime) -> Rows:
    """The pupils for whom, at moment `at`, some parent's latest decision was a consent not withdrawn
    (the rule of `models.consent_rules`, read as of `at`): one list the database makes once per
    query, not a search per pupil."""
    given = aliased(Consent)
    later = aliased(Consent)
    superseded = exists().where(
        col(later.guardian_id) == col(given.guardian_id),
        col(later.pupil_id) == col(given.pupil_id),
        col(later.scope) == col(given.scope),
        col(later.decided_at) <= at,
        or_(
            col(later.decided_at) > col(given.decided_at),
            and_(col(later.decided_at) == col(given.decided_at), col(later.id) > col(given.id)),
        ),
    )
    return select(col(given.pupil_id)).where(
        col(given.scope) == PROGRAMME_SCOPE,
        col(given.given).is_(True),
        col(given.decided_at) <= at,
        or_(col(given.withdrawn_at).is_(None), col(given.withdrawn_at) > at),
        ~superseded,
    )


def consented(pupil: Any, at: datetime) -> ColumnElement[bool]:
    """`pupil` had a parent's consent at moment `at`."""
    return col(pupil).in_(consented_pupils(at))


def unindexed(column: Any) -> ColumnElement[Any]:
    """`column`, as a value the database cannot look up by index. A work's status is one of four:
    SQLite would start from its index and read every graded work of the year; said this way, it
    starts from the homework due in the period instead."""
    return func.coalesce(column, "")


class unprobed(FunctionElement[int]):
    """An integer `column` SQLite may not probe an index with (`+column`, as SQLite's documentation
    says); PostgreSQL gets the column as it is. A scope's schools (`Scope.covers`): with planner
    statistics SQLite probed the pupil's membership once per school in the list, 100 lookups for each
    work of a district's overview, 1.7–2.1 times slower than testing the one membership row it finds;
    PostgreSQL's plans need the index (the overview took 2.3 times as long without it)."""

    type = Integer()
    name = "unprobed"
    inherit_cache = True


@compiles(unprobed)
def _as_is(element: unprobed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses.clauses[0], **kw))


@compiles(unprobed, "sqlite")
def _unary_plus(element: unprobed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses.clauses[0], **kw))


def pupil_membership(person: Any) -> ColumnElement[bool]:
    """Join condition: `person`'s membership as a pupil (which names their school and class)."""
    return and_(col(Membership.person_id) == person, col(Membership.role) == Role.PUPIL.value)


def percent(feedback: type[Feedback] | Any = Feedback) -> ColumnElement[Any]:
    """A work's score as a percentage: points over maximum, or the formative score of 1–10 as tenths
    (`monitoring.scores.percent_of`, in SQL)."""
    return case(
        (
            and_(col(feedback.points).is_not(None), col(feedback.max_points) > 0),
            100.0 * cast(col(feedback.points), Float) / col(feedback.max_points),
        ),
        (
            col(feedback.formative_score).is_not(None),
            cast(col(feedback.formative_score), Float) * literal(10.0),
        ),
        else_=None,
    )


def latest_feedback(feedback: Any = Feedback) -> ColumnElement[bool]:
    """`feedback` is its work's latest (a corrected grade replaces the first)."""
    newer = aliased(Feedback)
    return ~exists().where(
        col(newer.submission_id) == col(feedback.submission_id), col(newer.id) > col(feedback.id)
    )


def latest_grades(*columns: Any) -> Rows:
    """`columns` over every graded work's latest grade, joined to its submission, homework, group and
    the pupil's membership (for `Scope.covers`): what the quarter mark and knowledge growth sum."""
    return (
        select(*columns)
        .select_from(Feedback)
        .join(Submission, col(Submission.id) == col(Feedback.submission_id))
        .join(Homework, col(Homework.id) == col(Submission.homework_id))
        .join(TutoringGroup, col(TutoringGroup.id) == col(Homework.group_id))
        .join(Membership, pupil_membership(col(Submission.pupil_id)))
        .where(unindexed(Submission.status) == SubmissionStatus.GRADED.value, latest_feedback(Feedback))
    )
