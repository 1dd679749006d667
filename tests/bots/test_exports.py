"""Exports for a Kazakh or Russian Excel: `;` between fields, a byte-order mark, numbers and dates as
the reader's language writes them, a dated file name; titles shortened at a word."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bots.web.export import cell_text, csv_text, exported, file_name
from bots.web.streamed import csv_lines, csv_rows
from locales import T
from locales.formats import excel_date_format, format_day, format_number
from locales.shorten import headline, shorten


def test_csv_is_semicolon_separated_in_the_readers_language() -> None:
    """(The byte-order mark and the header: tests/bots/test_monitoring_web.py, over HTTP.)"""
    rows = [("8А", "Сәрсенбаев Ерлан; мл.", T("subject.algebra"), 3, 7.5, None, 87.25)]
    text = csv_lines(csv_rows(rows, "ru"))
    [row] = list(csv.reader(io.StringIO(text), delimiter=";"))
    # a field holding the delimiter is quoted; numbers take the decimal comma; an empty mark stays empty
    assert row == ["8А", "Сәрсенбаев Ерлан; мл.", "Алгебра", "3", "7,5", "", "87,25"]
    assert '"Сәрсенбаев Ерлан; мл."' in text


@pytest.mark.parametrize(
    ("language", "day", "number"),
    [("kk", "09.03.2026", "87,5"), ("ru", "09.03.2026", "87,5"), ("en", "3/9/2026", "87.5")],
)
def test_numbers_and_dates_are_written_as_the_language_writes_them(
    language: str, day: str, number: str
) -> None:
    assert format_day(date(2026, 3, 9), language) == day == cell_text(date(2026, 3, 9), language)
    assert format_number(87.5, language) == number == cell_text(87.5, language)
    assert format_number(1234.5, language).replace(",", ".") == "1234.5"  # no group separator
    assert cell_text(12, language) == "12"


def test_spreadsheet_dates_use_the_same_pattern() -> None:
    assert excel_date_format("kk") == excel_date_format("ru") == "dd.mm.yyyy"


def test_the_file_name_says_which_table_and_which_period() -> None:
    assert (
        file_name("grades", "csv", date(2025, 9, 1), date(2026, 3, 9)) == "ustaz-grades-20250901-20260309.csv"
    )


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Алгебра: квадрат теңдеулер, 12-жаттығу", 40, "Алгебра: квадрат теңдеулер, 12-жаттығу"),
        ("Алгебра: квадрат теңдеулер, 12-жаттығу", 20, "Алгебра: квадрат…"),
        ("Квадрат теңдеулерді шешу тәсілдері", 16, "Квадрат…"),
        ("Өте-өте-ұзын-бір-сөзден-тұратын-тақырып", 12, "Өте-өте-ұзы…"),
        ("Алгебра:   квадрат\tтеңдеулер", 40, "Алгебра: квадрат теңдеулер"),
    ],
)
def test_titles_are_shortened_at_a_word_with_an_ellipsis(text: str, limit: int, expected: str) -> None:
    shortened = shorten(text, limit)
    assert shortened == expected and len(shortened) <= limit


def test_a_headline_is_the_first_line_that_says_something() -> None:
    assert headline("\n  \nТақырып: бөлшектер\nЕкінші жол", 40) == "Тақырып: бөлшектер"
    assert headline("", 40) == ""


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_kind_of_cell_is_written_as_the_general_path_writes_it(language: str) -> None:
    """`csv_text` tells the common kinds of cell apart by type first; each must come out as the
    general path (`exported`, then `cell_text`) writes it, formulas marked and negatives numbers."""
    cells = [
        "8А",
        "=HYPERLINK(1)",
        "-3 apples",
        "",
        None,
        12,
        -5,
        0,
        7.5,
        -2.25,
        date(2026, 3, 9),
        T("subject.algebra"),
        T("quarter.name", number=2),
        True,
    ]
    for cell in cells:
        value = exported(cell, language)
        assert csv_text(cell, language) == (value if isinstance(value, str) else cell_text(value, language))
    assert csv_text("=1+1", language) == "'=1+1" and csv_text(-5, language) == "-5"
