"""Set-at-a-time reads and writes for the importer: rows as tuples and dicts, never ORM objects.

A district's roster is tens of thousands of people and a hundred thousand links between them. As
ORM objects, each costs its construction, its change tracking and a statement of its own at flush;
as plain rows the importer reads what it compares in a few chunked queries and writes what changed
in batches (executemany: multi-row INSERT … RETURNING on SQLite and PostgreSQL), inside the
caller's transaction. These writes pass no ORM flush events, so the store rules those events feed
(models.invariants) are checked by the importer itself before it commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, delete, insert, select, update
from sqlmodel import Session, SQLModel

CHUNK = 500  # values per IN (…) list, well under SQLite's and PostgreSQL's parameter limits

V = TypeVar("V")


def chunks(values: Sequence[V]) -> Iterator[Sequence[V]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def rows_where_in(
    session: Session,
    columns: Sequence[Any],
    key: Any,
    values: Iterable[Any],
    *where: ColumnElement[bool],
) -> list[Row[Any]]:
    """`SELECT columns WHERE key IN values [AND where…]`, in chunks of the values."""
    found: list[Row[Any]] = []
    for part in chunks(list(dict.fromkeys(values))):
        found.extend(session.execute(select(*columns).where(key.in_(part), *where)).all())
    return found


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys; the columns' defaults fill the rest). Without
    RETURNING: SQLAlchemy sends RETURNING with its rows in order one statement a row on SQLite, so
    a caller that needs the new ids reads them back by the file's keys."""
    if rows:
        session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def update_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Update by primary key: each dict holds `id` and the columns to set."""
    if rows:
        session.execute(update(model), rows)


def delete_ids(session: Session, model: type[SQLModel], ids: Collection[int]) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    for part in chunks(sorted(ids)):
        session.execute(delete(table).where(table.c.id.in_(part)))


def differing(stored: Row[Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the stored row's (empty: nothing to write)."""
    return {name: value for name, value in values.items() if getattr(stored, name) != value}
