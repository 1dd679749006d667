"""A monitoring table as a spreadsheet (XLSX, openpyxl) or CSV, headers in the reader's language;
every text cell goes through `models.spreadsheet.as_text`, so no value is read as a formula.

openpyxl is imported when a spreadsheet is asked for, not with the bot process (7 MB resident)."""

from __future__ import annotations

import csv
import io
from datetime import date

from locales import Text, translate
from models.spreadsheet import as_text
from monitoring import Cell, Table


def cell_value(cell: Cell, lang: str) -> str | int | float | date | None:
    return cell.render(lang) if isinstance(cell, Text) else cell


def cell_text(cell: Cell, lang: str) -> str:
    value = cell_value(cell, lang)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def exported(cell: Cell, lang: str) -> str | int | float | date | None:
    """The cell as an export writes it: text that a spreadsheet would run as a formula is marked."""
    value = cell_value(cell, lang)
    return as_text(value) if isinstance(value, str) else value


def headers(table: Table, lang: str) -> list[str]:
    return [translate(lang, f"web.col.{column}") for column in table.columns]


def to_xlsx(table: Table, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = translate(lang, f"web.table.{table.name}")[:31]
    sheet.append([as_text(header) for header in headers(table, lang)])
    for row in table.rows:
        sheet.append([exported(cell, lang) for cell in row])
    for index, column in enumerate(table.columns, start=1):
        width = max(
            [len(translate(lang, f"web.col.{column}"))]
            + [len(cell_text(r[index - 1], lang)) for r in table.rows]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
        for cells in sheet.iter_cols(min_col=index, max_col=index, min_row=2):
            for item in cells:
                if isinstance(item.value, date):
                    item.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table, lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic and Kazakh letters correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([as_text(header) for header in headers(table, lang)])
    for row in table.rows:
        writer.writerow([as_text(cell_text(cell, lang)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
