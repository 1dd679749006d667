"""The PDF reports' tables (`bots.web.pdf.Report.table`): a cell's text is broken between words to fit
its column, a word wider than the column is still broken, and a table longer than a page carries
its heading row to the top of the next page."""

from __future__ import annotations

import io

from pypdf import PdfReader

from bots.web.pdf import Report


def _report() -> Report:
    report = Report("kk")
    report.pdf.set_font("body", "", 9)
    return report


def test_a_long_name_is_broken_between_words_to_fit_its_column() -> None:
    report = _report()
    name = "ALG-8 (Алгебра, Сәрсенбаева Айгерім Ерланқызы)"
    lines = report._lines(name, 40)
    assert len(lines) > 1 and " ".join(lines) == name
    room = 40 - 2 * report.pdf.c_margin
    assert all(report.pdf.get_string_width(line) <= room for line in lines)
    assert report._lines("ALG-8", 40) == ["ALG-8"]


def test_a_word_wider_than_its_column_is_still_broken() -> None:
    report = _report()
    word = "Қорытындыдиагностикалықжұмыс" * 2
    lines = report._lines(word, 20)
    assert len(lines) > 1 and "".join(lines) == word


def test_a_table_longer_than_a_page_repeats_its_heading_row() -> None:
    report = _report()
    rows = [[f"ALG-{n} (Алгебра, Цифрлық ұстаз {n})", str(n), "75%"] for n in range(120)]
    report.table(["Топ", "Оқушылар", "Сабаққа қатысу"], rows, (30, 10, 10))
    pages = PdfReader(io.BytesIO(report.output())).pages
    assert len(pages) > 1
    texts = [page.extract_text() for page in pages]
    assert all("Сабаққа қатысу" in text for text in texts)
    assert all(f"ALG-{n} " in "".join(texts) for n in range(120))
