"""A monitoring table as the dashboard shows and exports it: a name, column keys (the header is
`web.col.<key>` in the reader's language) and rows of plain values or `Text` (a status to render)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from locales import Text

Cell = str | int | float | date | Text | None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    # The pupil each row is about, when there is one (the page links it to the pupil's page).
    pupils: list[int | None] = field(default_factory=list)


def local_day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None
