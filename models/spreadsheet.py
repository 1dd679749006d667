"""A value written to a spreadsheet is shown as text, never run as a formula.

Excel, LibreOffice and Google Sheets read a cell that begins with =, +, -, @, a tab or a carriage
return as a formula, in a CSV file and (for =) in an XLSX written by openpyxl; a pupil named
`=HYPERLINK("http://…")` would become a live link, or worse, in a class teacher's spreadsheet. Every
export (the dashboard's XLSX and CSV, the Kazpost collection list as XLSX and PDF) writes its text
cells through `as_text`, which puts an apostrophe in front of such a value: the spreadsheets' own
mark for "this is text", shown as it is in a PDF, and harmless there.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    """`value`, with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
