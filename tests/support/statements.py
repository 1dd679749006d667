"""What the statements sent to the store while a block runs write and read, table by table: an
import's cost seen as the store sees it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

WRITES = ("INSERT", "UPDATE", "DELETE")
CATALOGUES = ("pg_catalog.", "information_schema.", "sqlite_")


@contextmanager
def written(engine: Engine) -> Iterator[Counter[str]]:
    """Rows written per table while the block runs, as the statements sent say: one a statement, or
    one a parameter set of an executemany (a trigger's own writes are the store's, not sent)."""
    rows: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, many: bool) -> None:
        words = statement.split()
        if words[0].upper() in WRITES:
            table = words[2] if words[0].upper() != "UPDATE" else words[1]
            rows[table.strip('"')] += len(params) if many and isinstance(params, list) else 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield rows
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def read(engine: Engine) -> Iterator[set[str]]:
    """The store's tables the statements sent while the block runs read from (not the catalogue's: the
    schema's revision is looked up through it)."""
    tables: set[str] = set()

    def note(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        names = (name.strip('"') for name in re.findall(r"\b(?:FROM|JOIN)\s+(\S+)", statement))
        tables.update(name for name in names if not name.startswith(CATALOGUES))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield tables
    finally:
        event.remove(engine, "before_cursor_execute", note)
