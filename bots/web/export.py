"""A monitoring table's cells as a page, a spreadsheet or a CSV shows them, for a Kazakh or Russian
school: numbers and dates as the reader's language writes them, and a file name with the period it
covers. Every text cell of an export goes through `models.spreadsheet.as_text`, so no value is read
as a formula. The exports themselves are written as they are read (`bots.web.streamed`): CSV with
`;` between fields (a Kazakh or Russian Excel takes `,` as the decimal sign and splits on `;`) and a
byte-order mark (else Excel reads Cyrillic and Kazakh letters as another encoding)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import cast

from locales import Text
from locales.formats import REMEMBERED, format_day, format_number
from models.spreadsheet import as_text
from monitoring import Cell

CSV_DELIMITER = ";"


def cell_value(cell: Cell, lang: str) -> str | int | float | date | None:
    return rendered(cell, lang) if isinstance(cell, Text) else cell


def rendered(text: Text, lang: str) -> str:
    """A text in the reader's language. One of plain values (a subject, a work's kind, a quarter)
    recurs on thousands of an export's rows: it is rendered once per language."""
    if type(text) is Text and all(isinstance(value, str | int | float) for value in text.params.values()):
        return _plain(text.key, tuple(text.params.items()), text.count, lang)
    return text.render(lang)


@lru_cache(maxsize=REMEMBERED, typed=True)
def _plain(key: str, params: tuple[tuple[str, str | int | float], ...], count: str, lang: str) -> str:
    return Text(key, dict(params), count).render(lang)


def cell_text(cell: Cell, lang: str) -> str:
    value = cell_value(cell, lang)
    if value is None:
        return ""
    if isinstance(value, date):
        return format_day(value, lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value, lang)
    return str(value)


def exported(cell: Cell, lang: str) -> str | int | float | date | None:
    """The cell as an export writes it: text that a spreadsheet would run as a formula is marked."""
    value = cell_value(cell, lang)
    return as_text(value) if isinstance(value, str) else value


def csv_text(cell: Cell, lang: str) -> str:
    """The cell as the CSV writes it: text marked as `exported` marks it, a number or a date as the
    reader's language writes it (a negative number stays a number). An export calls this for every
    cell of tens of thousands of rows, so the common kinds of cell are told apart by their type
    first, and a day is written once per day and language."""
    kind = type(cell)
    if kind is str:
        return as_text(cast(str, cell))
    if cell is None:
        return ""
    if kind is int:
        return str(cell)
    if kind is Text:
        return as_text(rendered(cast(Text, cell), lang))
    if kind is date:
        return _day(cast(date, cell), lang)
    value = exported(cell, lang)
    return value if isinstance(value, str) else cell_text(value, lang)


@lru_cache(maxsize=REMEMBERED)
def _day(value: date, lang: str) -> str:
    return format_day(value, lang)


def file_name(table: str, kind: str, start: date, end: date) -> str:
    """`ustaz-consent-20260901-20261031.csv`: the table and the period it covers (sorts by date in a
    folder)."""
    return f"ustaz-{table}-{start:%Y%m%d}-{end:%Y%m%d}.{kind}"
