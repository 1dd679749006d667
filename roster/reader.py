"""Reading a roster file (xlsx or csv) into plain rows of cleaned strings; no meaning yet.

Cell values become text the same way for both formats (a whole number without ``.0``, a time as
``HH:MM``), so an xlsx file and its csv export load into identical stores. Every cell is stripped
of control and formatting characters (RTL marks, zero-width spaces); everything else is kept
verbatim — text that looks like SQL or markup is data.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from locales import T, Text
from roster.report import RowError
from roster.schema import (
    COLUMN_ALIASES,
    OPTIONAL_SHEETS,
    REQUIRED,
    SHEET_ALIASES,
    SHEET_COLUMN,
    SHEETS,
)


@dataclass(frozen=True)
class RawRow:
    sheet: str
    row: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class RawRoster:
    file: str
    rows: dict[str, list[RawRow]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def error(self, sheet: str, row: int, column: str, reason: Text) -> None:
        self.errors.append(RowError(self.file, sheet, row, column, reason))


def clean_text(value: str) -> str:
    """Drop control and format characters (Cc, Cf: RTL marks, zero-width spaces, BOM); turn line
    breaks and tabs into spaces; collapse runs of spaces."""
    if value.isprintable():  # no Cc, Cf, line break or tab: the common case, at C speed
        return " ".join(value.split())
    kept = []
    for ch in value:
        if ch in "\t\n\r\v\f\u2028\u2029":
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            kept.append(ch)
    return " ".join("".join(kept).split())


def cell_text(value: object) -> str:
    if isinstance(value, str):
        return clean_text(value) if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.date() == datetime(1899, 12, 30).date() or value.date() == datetime(1900, 1, 1).date():
            return value.strftime("%H:%M")
        return value.isoformat(sep=" ")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return clean_text(str(value))  # numbers and anything else openpyxl hands over


def header_name(value: object) -> str:
    text = cell_text(value).lower().replace(" ", "_")
    return COLUMN_ALIASES.get(text, text)


def sheet_name(value: str) -> str:
    text = clean_text(value).lower().replace(" ", "_")
    return SHEET_ALIASES.get(text, text)


def read_roster(path: Path) -> RawRoster:
    roster = RawRoster(file=path.name)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _read_xlsx(path, roster)
    elif suffix == ".csv":
        _read_csv(path, roster)
    else:
        roster.error("", 0, "", T("roster.error.unsupported_format", suffix=suffix or "-"))
        return roster
    if not roster.errors:
        for sheet in SHEETS:
            if sheet not in roster.rows and sheet not in OPTIONAL_SHEETS:
                roster.error(sheet, 0, "", T("roster.error.missing_sheet", sheet=sheet))
    return roster


def _take_table(
    roster: RawRoster, sheet: str, header: list[str], rows: list[tuple[int, dict[str, str]]]
) -> None:
    """One sheet's header and data rows (with their spreadsheet row numbers) into RawRows."""
    missing = [c for c in REQUIRED[sheet] if c not in header]
    for column in missing:
        roster.error(sheet, 1, column, T("roster.error.missing_column", column=column))
    bucket = roster.rows.setdefault(sheet, [])
    if missing:
        return
    bucket.extend(RawRow(sheet, number, values) for number, values in rows if values)


def _named(header: list[str], cells: list[str]) -> dict[str, str]:
    """A row's non-empty cells under their column's name (cells under no name are left out)."""
    return {name: cell for name, cell in zip(header, cells, strict=False) if cell and name}


def _read_xlsx(path: Path, roster: RawRoster) -> None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        roster.error("", 0, "", T("roster.error.unreadable_file"))
        return
    try:
        for worksheet in workbook.worksheets:
            sheet = sheet_name(worksheet.title)
            if sheet not in SHEETS:
                continue  # notes, instructions: not ours
            header: list[str] = []
            rows: list[tuple[int, dict[str, str]]] = []
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if not header:
                    if any(cells):
                        header = [header_name(c) for c in cells]
                    continue
                rows.append((number, _named(header, cells)))
            _take_table(roster, sheet, header, rows)
    finally:
        workbook.close()


def _read_csv(path: Path, roster: RawRoster) -> None:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        roster.error("", 0, "", T("roster.error.bad_encoding"))
        return
    except OSError:
        roster.error("", 0, "", T("roster.error.unreadable_file"))
        return
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        roster.error("", 0, SHEET_COLUMN, T("roster.error.missing_column", column=SHEET_COLUMN))
        return
    header = [header_name(c) for c in records[0]]
    if SHEET_COLUMN not in header:
        roster.error("", 1, SHEET_COLUMN, T("roster.error.missing_column", column=SHEET_COLUMN))
        return
    per_sheet: dict[str, list[tuple[int, dict[str, str]]]] = {sheet: [] for sheet in SHEETS}
    width = len(header)
    sheets: dict[str, str] = {}  # the sheet column as written → the sheet (a handful of values)
    for number, record in enumerate(records[1:], start=2):
        # A csv cell is text and most are empty: only the others are cleaned, in one pass.
        named = zip(header, record, strict=False)
        values = {name: cell for name, c in named if c and (cell := clean_text(c))}
        if not values and not any(clean_text(c) for c in record[width:]):
            continue
        named_sheet = values.get(SHEET_COLUMN, "")
        sheet = sheets.get(named_sheet) or sheets.setdefault(named_sheet, sheet_name(named_sheet))
        if sheet not in per_sheet:
            roster.error(sheet, number, SHEET_COLUMN, T("roster.error.unknown_sheet", sheet=sheet))
            continue
        values.pop("", None)
        per_sheet[sheet].append((number, values))
    for sheet, rows in per_sheet.items():
        if rows or sheet not in OPTIONAL_SHEETS:  # an optional sheet is there when it has rows
            _take_table(roster, sheet, header, rows)
