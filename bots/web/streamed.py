"""Exports written as they are read: a listing's rows go from the database to the browser a batch at
a time, so a district's export holds one batch in memory, not the whole table.

CSV: UTF-8 with a byte-order mark and `;` between values (what Excel expects in Kazakh and Russian
settings), numbers and dates as the reader's language writes them, text that a spreadsheet would run
as a formula marked (`bots.web.export`). XLSX: written row by row by openpyxl's write-only workbook
into a temporary file, sent in chunks, dates in the reader's pattern.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bots.web.export import csv_text, exported
from locales import translate
from locales.formats import excel_date_format
from models.spreadsheet import as_text
from monitoring.tables import Cell, Listing, stream

BATCH = 500
CHUNK = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Build = Callable[[Session], Listing]


def header(listing: Listing, lang: str) -> list[str]:
    return [translate(lang, f"web.col.{column}") for column in listing.columns]


class Rows:
    """A listing's rows read in batches, each batch in a worker thread, one session throughout."""

    def __init__(self, engine: Engine, build: Build) -> None:
        self.session = Session(engine)
        self.listing = build(self.session)
        self.rows: Iterator[tuple[Cell, ...]] = stream(self.session, self.listing)

    def batch(self) -> list[tuple[Cell, ...]]:
        found = []
        for row in self.rows:
            found.append(row)
            if len(found) == BATCH:
                break
        return found

    def close(self) -> None:
        self.session.close()


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def csv_response(
    request: web.Request, engine: Engine, build: Build, lang: str, name: str
) -> web.StreamResponse:
    rows = await asyncio.to_thread(Rows, engine, build)
    response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8", **attachment(name)})
    await response.prepare(request)
    try:
        await response.write(("\ufeff" + csv_lines([header(rows.listing, lang)])).encode())
        while batch := await asyncio.to_thread(rows.batch):
            await response.write(csv_lines(csv_rows(batch, lang)).encode())
    finally:
        await asyncio.to_thread(rows.close)
    await response.write_eof()
    return response


def csv_rows(rows: list[tuple[Cell, ...]], lang: str) -> list[list[str]]:
    return [[csv_text(cell, lang) for cell in row] for row in rows]


def csv_lines(lines: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(lines)
    return out.getvalue()


def write_xlsx(engine: Engine, build: Build, lang: str, title: str, path: Path) -> None:
    """The listing as a one-sheet workbook at `path`, written row by row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    rows = Rows(engine, build)
    try:
        sheet.freeze_panes = "A2"
        cells = []
        for text in header(rows.listing, lang):
            cell = WriteOnlyCell(sheet, value=as_text(text))
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        while batch := rows.batch():
            for row in batch:
                sheet.append([_xlsx_cell(sheet, exported(cell, lang), lang) for cell in row])
    finally:
        rows.close()
    book.save(path)


def _xlsx_cell(sheet: Any, value: Any, lang: str) -> Any:
    if isinstance(value, date):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = excel_date_format(lang)
        return cell
    return value


async def file_response(request: web.Request, path: Path, content_type: str, name: str) -> web.StreamResponse:
    """A file written for this response, sent in chunks."""
    response = web.StreamResponse(headers={"Content-Type": content_type, **attachment(name)})
    await response.prepare(request)
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response


async def xlsx_response(
    request: web.Request, engine: Engine, build: Build, lang: str, title: str, name: str
) -> web.StreamResponse:
    with tempfile.TemporaryDirectory(prefix="ustaz-export-") as folder:
        path = Path(folder) / "export.xlsx"
        await asyncio.to_thread(write_xlsx, engine, build, lang, title, path)
        return await file_response(request, path, XLSX_TYPE, name)
