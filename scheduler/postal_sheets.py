"""The Kazpost collection list as a printable PDF (fpdf2) and as an XLSX sheet (openpyxl).

The PDF embeds a TrueType font that has Cyrillic and the Kazakh letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і):
DejaVu Sans from Debian's `fonts-dejavu-core` (or Liberation Sans). `USTAZ_PDF_FONT` may name another.

Every text goes through `models.spreadsheet.as_text` (`Sheet.cells`), so a name or an address that
begins like a formula is text in the XLSX, and reads the same in the PDF.

fpdf2 and openpyxl are imported when a sheet is made (once a fortnight per class), not with the
module: together they are 23 MB of every process that runs the scheduler or the bot.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from models.spreadsheet import as_text

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
)
COLUMN_WIDTHS = (0.26, 0.30, 0.32, 0.12)  # of the printable width: pupil, address, work, mark


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def cells(self) -> list[tuple[str, ...]]:
        """The title, the headers and the rows as the files write them: never a formula."""
        return [
            (as_text(self.title),),
            tuple(as_text(text) for text in self.headers),
            *(tuple(as_text(text) for text in row) for row in self.rows),
        ]


class FontMissing(RuntimeError):
    """No font with Cyrillic and Kazakh letters: install fonts-dejavu-core."""


def unicode_font() -> Path:
    named = os.environ.get("USTAZ_PDF_FONT")
    for path in ([Path(named)] if named else []) + list(FONT_CANDIDATES):
        if path.is_file():
            return path
    raise FontMissing("no TrueType font with Cyrillic found; install fonts-dejavu-core")


def pdf_bytes(sheet: Sheet) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    regular = unicode_font()
    bold = regular.with_name(regular.stem.removesuffix("-Regular") + "-Bold.ttf")
    pdf.add_font("body", "", str(regular))
    pdf.add_font("body", "B", str(bold if bold.is_file() else regular))
    pdf.add_page()
    pdf.set_font("body", size=14)
    (title,), headers, *rows = sheet.cells()
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("body", size=10)
    widths = [pdf.epw * share for share in COLUMN_WIDTHS]
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=6) as table:
        for values in (headers, *rows):
            row = table.row()
            for text in values:
                row.cell(text)
    return bytes(pdf.output())


def xlsx_bytes(sheet: Sheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    ws = book.worksheets[0]  # a new workbook holds one sheet
    ws.title = "Kazpost"
    for values in sheet.cells():
        ws.append(list(values))
    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (32, 40, 48, 14), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
