"""A monitoring table as a spreadsheet (XLSX, openpyxl) or CSV, for the Excel of a Kazakh or Russian
school: headers in the reader's language, numbers and dates as that language writes them, and a
file name with the day it was taken. Every text cell goes through `models.spreadsheet.as_text`, so
no value is read as a formula.

CSV: `;` between fields (a Kazakh or Russian Excel takes `,` as the decimal sign and splits on `;`),
UTF-8 with a byte-order mark (else Excel reads Cyrillic and Kazakh letters as another encoding).

openpyxl is imported when a spreadsheet is asked for, not with the bot process (7 MB resident)."""

from __future__ import annotations

import csv
import io
from datetime import date

from locales import Text, translate
from locales.formats import excel_date_format, format_day, format_number
from models.spreadsheet import as_text
from monitoring import Cell, Table

CSV_DELIMITER = ";"


def cell_value(cell: Cell, lang: str) -> str | int | float | date | None:
    return cell.render(lang) if isinstance(cell, Text) else cell


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
    reader's language writes it (a negative number stays a number)."""
    value = exported(cell, lang)
    return value if isinstance(value, str) else cell_text(value, lang)


def headers(table: Table, lang: str) -> list[str]:
    return [translate(lang, f"web.col.{column}") for column in table.columns]


def file_name(table: Table, kind: str, day: date) -> str:
    """`ustaz-consent-2026-03-09.csv`: the table and the day (sorts by date in a folder)."""
    return f"ustaz-{table.name}-{day.isoformat()}.{kind}"


def to_xlsx(table: Table, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.create_sheet(index=0)  # a new book's active sheet is typed Optional; make our own
    book.remove(book.worksheets[1])
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
                    item.number_format = excel_date_format(lang)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER)
    writer.writerow([as_text(header) for header in headers(table, lang)])
    for row in table.rows:
        writer.writerow([csv_text(cell, lang) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
