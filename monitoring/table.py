"""A monitoring table as the dashboard shows and exports it, and what reads one.

A `Table` is a name, column keys (the header is `web.col.<key>` in the reader's language) and rows
of plain values or `Text` (a status to render), with the page it is when it is one. A `Listing` is
how a table is read: one ordered SQL statement, its column keys and how a row becomes cells; an
`Ask` is what it is read for (a scope, the school's time zone, now, a period, the words searched,
and the reader's language, in whose alphabet names are listed: `monitoring.sql.alphabetical`).
The listings live with their concern (`monitoring.tables`, `monitoring.threads`,
`monitoring.problems`, `monitoring.reports`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, or_
from sqlmodel import Session

from locales import DEFAULT_LANGUAGE, Text
from monitoring.paging import Page
from monitoring.periods import Period
from monitoring.scope import Scope
from monitoring.sql import Rows, contains

Cell = str | int | float | date | Text | None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    # The pupil each row is about, when there is one (the page links it to the pupil's page).
    pupils: list[int | None] = field(default_factory=list)
    page: Page[Any] | None = None


@dataclass(frozen=True)
class Ask:
    """What a table is read for: a scope, the school's time zone, now, a period (None: all of it),
    the words searched for and the reader's language (the page's)."""

    scope: Scope
    zone: ZoneInfo
    now: datetime
    period: Period | None = None
    search: str = ""
    language: str = DEFAULT_LANGUAGE

    def moments(self) -> tuple[datetime | None, datetime]:
        """The period as [begin, end) moments; no beginning and now as the end without one."""
        if self.period is None:
            return None, self.now
        begin, after = self.period.moments(self.zone)
        return begin, min(after, self.now)

    def days(self) -> tuple[date | None, date | None]:
        return (self.period.start, self.period.end) if self.period is not None else (None, None)


@dataclass(frozen=True)
class Listing:
    name: str
    columns: tuple[str, ...]
    statement: Rows  # ordered
    cells: Callable[[Row[*tuple[Any, ...]]], tuple[Cell, ...]]
    pupil: Callable[[Row[*tuple[Any, ...]]], int | None] | None = None
    # A listing of one row per key (a group) may say so, for a page to read its keys first and
    # count the rows of those keys only: `keys` in the listing's order (the key first), and
    # `of_keys`, the listing's statement for some keys.
    keys: Rows | None = None
    of_keys: Callable[[list[Any]], Rows] | None = None


def local_day(moment: datetime | str | None, zone: ZoneInfo) -> date | None:
    """A stored moment's day in the school's zone (an aggregate may hand SQLite's text back)."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def searched(session: Session, ask: Ask, statement: Rows, *columns: Any) -> Rows:
    """`statement` kept to the rows where one of `columns` contains the words searched for."""
    typed = ask.search.strip()
    if not typed:
        return statement
    return statement.where(or_(*(contains(session, column, typed) for column in columns)))


def in_days(column: Any, ask: Ask) -> list[Any]:
    """Conditions keeping a day `column` to the period (none without one)."""
    start, end = ask.days()
    return [] if start is None or end is None else [column >= start, column <= end]


def in_moments(column: Any, ask: Ask) -> list[Any]:
    """Conditions keeping a moment `column` to the period, and before now."""
    begin, after = ask.moments()
    return [column < after] if begin is None else [column >= begin, column < after]
