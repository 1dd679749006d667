"""The two PDF reports (fpdf2, with the DejaVu font the Kazpost list uses, for Kazakh letters): the
programme report of a period, and one pupil's summary for a parents' meeting. Charts are drawn with
the PDF's own lines and boxes from the same figures the pages chart in SVG.

fpdf2 is imported when a report is asked for, not with the bot process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from typing import Any, cast

from bots.web.formats import absences, number, percent
from locales import Text, translate
from models.clock import utcnow
from monitoring.figures import SCORES, Figures
from monitoring.overview import Overview, Unit
from monitoring.periods import Period
from monitoring.reports import PupilSummary
from scheduler.postal_sheets import unicode_font

BLUE = (42, 122, 176)
AMBER = (214, 137, 16)
GREY = (87, 96, 106)
LIGHT = (217, 222, 227)
MARGIN = 14
LINE = 5  # a table's line height, mm
HEADINGS_TEXT = (29, 35, 41)
HEADINGS_FILL = (243, 245, 247)
UNITS_PRINTED = 60  # a longer breakdown prints the units attending least


def _text(value: Text | str, lang: str) -> str:
    return value.render(lang) if isinstance(value, Text) else value


class Report:
    """An A4 page with the body font, a title, tables and small charts."""

    def __init__(self, lang: str) -> None:
        from fpdf import FPDF

        self.lang = lang
        self.pdf = FPDF(orientation="P", format="A4")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(auto=True, margin=MARGIN)
        regular = unicode_font()
        bold = regular.with_name(regular.stem.removesuffix("-Regular") + "-Bold.ttf")
        self.pdf.add_font("body", "", str(regular))
        self.pdf.add_font("body", "B", str(bold if bold.is_file() else regular))
        self.pdf.add_page()

    def t(self, key: str, **params: Any) -> str:
        return translate(self.lang, key, **params)

    def title(self, text: str, subtitle: str) -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.set_text_color(*BLUE)
        self.pdf.set_font("body", "B", 16)
        self.pdf.multi_cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(*GREY)
        self.pdf.set_font("body", "", 10)
        self.pdf.multi_cell(0, 5, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(3)

    def heading(self, text: str) -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.ln(2)
        self.pdf.set_font("body", "B", 12)
        self.pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font("body", "", 10)

    def paragraph(self, text: str) -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.set_font("body", "", 10)
        self.pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        """Rows under a heading row, each cell's text wrapped to its column; the heading row again at
        the top of each new page. Drawn cell by cell: a line that fits its column (all but a long
        name) is written as it is, and only a longer one is broken into lines. fpdf2's own table
        breaks every cell's text character by character, which took most of a district's report."""
        total = sum(widths)
        columns = [self.pdf.epw * w / total for w in widths]
        self.pdf.set_draw_color(*LIGHT)
        self._row(headers, columns, heading=True)
        for values in rows:
            if not self._row(values, columns, heading=False):
                self.pdf.add_page()
                self._row(headers, columns, heading=True)
                self._row(values, columns, heading=False)
        self.pdf.set_font("body", "", 10)
        self.pdf.ln(2)

    def _row(self, values: Sequence[str], columns: Sequence[float], heading: bool) -> bool:
        """One row of a table, its cells as high as its longest text; False, drawing nothing, when
        it does not fit on what is left of the page."""
        pdf = self.pdf
        pdf.set_font("body", "B" if heading else "", 9)
        lines = [self._lines(text, width) for text, width in zip(values, columns, strict=True)]
        height = LINE * max(len(found) for found in lines)
        if not heading and pdf.get_y() + height > pdf.page_break_trigger:
            return False
        x, top = pdf.l_margin, pdf.get_y()
        pdf.set_fill_color(*HEADINGS_FILL)
        pdf.set_text_color(*(HEADINGS_TEXT if heading else (0, 0, 0)))
        for width, found in zip(columns, lines, strict=True):
            pdf.rect(x, top, width, height, style="DF" if heading else "D")
            y = top + (height - LINE * len(found)) / 2
            for line in found:
                pdf.set_xy(x, y)
                pdf.cell(width, LINE, line)
                y += LINE
            x += width
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(pdf.l_margin, top + height)
        return True

    def _lines(self, text: str, width: float) -> list[str]:
        """`text` broken between words into lines that fit `width`, as a table cell shows it; a word
        longer than the column is left to fpdf2 to break."""
        room = width - 2 * self.pdf.c_margin
        measure = self.pdf.get_string_width
        if measure(text) <= room:
            return [text]
        space = measure(" ")
        lines: list[str] = []
        line, used = "", 0.0
        for word in text.split(" "):
            wide = measure(word)
            if wide > room:
                from fpdf.enums import MethodReturnValue

                broken = self.pdf.multi_cell(width, LINE, text, dry_run=True, output=MethodReturnValue.LINES)
                return cast(list[str], broken)
            if line and used + space + wide > room:
                lines.append(line)
                line, used = word, wide
            else:
                line, used = (f"{line} {word}", used + space + wide) if line else (word, wide)
        lines.append(line)
        return lines

    def figures_box(self, items: Sequence[tuple[str, str, str]]) -> None:
        """Big figures side by side: (label, value, detail)."""
        width = self.pdf.epw / len(items)
        top = self.pdf.get_y()
        for index, (label, value, detail) in enumerate(items):
            x = MARGIN + index * width
            self.pdf.set_draw_color(*LIGHT)
            self.pdf.rect(x + 1, top, width - 2, 24)
            self.pdf.set_xy(x + 3, top + 2)
            self.pdf.set_font("body", "", 8)
            self.pdf.set_text_color(*GREY)
            self.pdf.cell(width - 6, 4, label)
            self.pdf.set_xy(x + 3, top + 7)
            self.pdf.set_font("body", "B", 15)
            self.pdf.set_text_color(0, 0, 0)
            self.pdf.cell(width - 6, 8, value)
            self.pdf.set_xy(x + 3, top + 16)
            self.pdf.set_font("body", "", 7)
            self.pdf.set_text_color(*GREY)
            self.pdf.multi_cell(width - 6, 3, detail)
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.set_y(top + 27)

    def lines(
        self, days: Sequence[date], series: Sequence[tuple[str, Sequence[float | None]]], height: float = 50
    ) -> None:
        """Percentages (0–100) over days, one line per series."""
        if not days:
            return
        self._room(height + 12)
        left, top = MARGIN + 10, self.pdf.get_y() + 6
        width = self.pdf.epw - 12
        self.pdf.set_font("body", "", 7)
        for level in (0, 50, 100):
            y = top + height * (1 - level / 100)
            self.pdf.set_draw_color(*LIGHT)
            self.pdf.line(left, y, left + width, y)
            self.pdf.set_xy(MARGIN, y - 2)
            self.pdf.cell(9, 4, str(level), align="R")
        step = width / max(len(days) - 1, 1)
        every = max(1, -(-len(days) // 8))
        for index, day in enumerate(days):
            if index % every == 0 or index == len(days) - 1:
                self.pdf.set_xy(left + step * index - 6, top + height + 1)
                self.pdf.cell(12, 4, f"{day:%d.%m}", align="C")
        for line_number, (name, values) in enumerate(series):
            colour = (BLUE, AMBER)[line_number % 2]
            self.pdf.set_draw_color(*colour)
            self.pdf.set_fill_color(*colour)
            self.pdf.set_line_width(0.6)
            points = [
                (left + step * i if len(days) > 1 else left + width / 2, top + height * (1 - v / 100))
                for i, v in enumerate(values)
                if v is not None
            ]
            for (x1, y1), (x2, y2) in pairwise(points):
                self.pdf.line(x1, y1, x2, y2)
            for x, y in points:
                self.pdf.ellipse(x - 0.8, y - 0.8, 1.6, 1.6, style="F")
            self.pdf.set_line_width(0.2)
            self.pdf.rect(left + line_number * 60, top - 6, 5, 1.5, style="F")
            self.pdf.set_xy(left + line_number * 60 + 6, top - 7.5)
            self.pdf.cell(50, 4, name)
        self.pdf.set_draw_color(0, 0, 0)
        self.pdf.set_y(top + height + 8)

    def bars(self, labels: Sequence[str], values: Sequence[int], height: float = 36) -> None:
        if not any(values):
            return
        self._room(height + 10)
        left, top = MARGIN, self.pdf.get_y() + 4
        width = self.pdf.epw * 0.6
        slot = width / len(values)
        highest = max(values)
        self.pdf.set_fill_color(*BLUE)
        self.pdf.set_font("body", "", 7)
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            bar = height * value / highest
            x = left + slot * index + slot * 0.15
            if value:
                self.pdf.rect(x, top + height - bar, slot * 0.7, bar, style="F")
                self.pdf.set_xy(x, top + height - bar - 4)
                self.pdf.cell(slot * 0.7, 4, str(value), align="C")
            self.pdf.set_xy(x, top + height + 1)
            self.pdf.cell(slot * 0.7, 4, label, align="C")
        self.pdf.set_y(top + height + 7)

    def _room(self, needed: float) -> None:
        if self.pdf.get_y() + needed > self.pdf.h - MARGIN:
            self.pdf.add_page()

    def footer_line(self) -> None:
        self.pdf.ln(4)
        self.pdf.set_font("body", "", 8)
        self.pdf.set_text_color(*GREY)
        self.pdf.cell(0, 5, self.t("overview.pdf.made", day=utcnow().strftime("%d.%m.%Y")))

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _figures_row(report: Report, total: Figures) -> list[tuple[str, str, str]]:
    t = report.t
    return [
        (
            t("overview.card.consent"),
            percent(total.consent_pct, report.lang),
            t("overview.pdf.of_pupils", n=total.pupils),
        ),
        (
            t("overview.card.attendance"),
            percent(total.attendance_pct, report.lang),
            t("overview.pdf.marks", n=total.marks),
        ),
        (
            t("overview.card.on_time"),
            percent(total.on_time_pct, report.lang),
            t("overview.pdf.works_due", n=total.expected),
        ),
        (
            t("overview.card.score"),
            number(total.avg_score, report.lang),
            t("overview.pdf.works_graded", n=total.scored),
        ),
        (
            t("overview.card.growth"),
            number(total.growth, report.lang, signed=True),
            t("overview.pdf.grown", n=total.grown) if total.grown else t("overview.pdf.not_measured"),
        ),
    ]


def _absences(report: Report, total: Figures) -> None:
    """The reasons families gave for absences and how many were excused, when there are any."""
    reasons = absences(total.reasons, total.excused, report.lang)
    if reasons:
        report.paragraph(report.t("overview.pdf.absence_reasons", reasons=reasons))


def programme_pdf(figures: Overview, lang: str, heading: str) -> bytes:
    """The programme report of a period: participation, attendance, work, scores and growth."""
    report = Report(lang)
    period = figures.reading.period
    report.title(report.t("overview.pdf.programme_title"), f"{heading}\n{_text(period.label, lang)}")
    total = figures.total
    report.heading(report.t("overview.pdf.at_a_glance"))
    report.figures_box(_figures_row(report, total))
    report.paragraph(
        report.t(
            "overview.pdf.participation",
            pupils=total.pupils,
            consented=total.consented,
            present=total.present,
            late=total.late,
            absent=total.absent,
            on_time=total.on_time,
            late_works=total.handed_late,
            missing=total.missing,
        )
    )
    _absences(report, total)
    report.heading(report.t("overview.chart.trend"))
    report.lines(
        [w.monday for w in figures.weeks],
        [
            (report.t("overview.card.attendance"), [w.attendance for w in figures.weeks]),
            (report.t("overview.card.on_time"), [w.on_time for w in figures.weeks]),
        ],
    )
    if any(figures.scores):
        report.heading(report.t("overview.chart.spread"))
        report.bars([str(n) for n in SCORES], figures.scores)
    report.heading(report.t("overview.card.growth"))
    report.paragraph(
        report.t(
            "overview.pdf.growth", growth=number(total.growth, report.lang, signed=True), pupils=total.grown
        )
        if total.grown
        else report.t("overview.pdf.growth_none", entered=total.entered)
    )
    for kind, all_units in figures.units.items():
        units = listed_units(all_units)
        report.heading(report.t(f"overview.by.{kind}"))
        headers = [
            report.t(f"overview.unit.{kind}"),
            report.t("overview.col.pupils"),
            report.t("overview.card.consent"),
            report.t("overview.card.attendance"),
            report.t("overview.card.on_time"),
            report.t("overview.card.score"),
            report.t("overview.card.growth"),
        ]
        rows = [
            [
                u.name + (f" ({_text(u.detail, lang)})" if u.detail else ""),
                str(u.figures.pupils),
                percent(u.figures.consent_pct, report.lang),
                percent(u.figures.attendance_pct, report.lang),
                percent(u.figures.on_time_pct, report.lang),
                number(u.figures.avg_score, report.lang),
                number(u.figures.growth, report.lang, signed=True),
            ]
            for u in units
        ]
        report.table(headers, rows, (34, 9, 10, 11, 11, 9, 9))
        if len(units) < len(all_units):
            report.paragraph(report.t("overview.pdf.more_units", shown=len(units), total=len(all_units)))
    report.footer_line()
    return report.output()


def listed_units(units: list[Unit]) -> list[Unit]:
    """What a printed table holds: every unit, or for a long list the ones attending least (the
    page and its exports hold them all)."""
    if len(units) <= UNITS_PRINTED:
        return units
    lowest = sorted(units, key=lambda u: (u.figures.attendance_pct is None, u.figures.attendance_pct or 0.0))
    return lowest[:UNITS_PRINTED]


def pupil_pdf(summary: PupilSummary, period: Period, lang: str) -> bytes:
    """One pupil on one page: attendance, work, scores, growth per subject, and recent comments."""
    report = Report(lang)
    place = ", ".join(part for part in (summary.class_name, summary.school) if part)
    report.title(summary.name, f"{place}\n{_text(period.label, lang)}")
    report.figures_box(_figures_row(report, summary.total)[1:])
    headers = [
        report.t("overview.col.subject"),
        report.t("overview.col.tutor"),
        report.t("overview.card.attendance"),
        report.t("overview.pdf.works"),
        report.t("overview.card.score"),
        report.t("overview.pdf.diagnostics"),
    ]
    rows = []
    for subject in summary.subjects:
        f = subject.figures
        entry, final = number(subject.entry, report.lang), number(subject.final, report.lang)
        diagnostics = (
            f"{entry} → {final} ({number(f.growth, report.lang, signed=True)})"
            if subject.entry is not None and subject.final is not None
            else entry
        )
        rows.append(
            [
                f"{_text(subject.subject, lang)} ({subject.group})",
                subject.tutor,
                f"{percent(f.attendance_pct, report.lang)} ({f.present + f.late}/{f.marks})",
                report.t(
                    "overview.pdf.works_line",
                    on_time=f.on_time,
                    due=f.expected,
                    late=f.handed_late,
                    missing=f.missing,
                ),
                number(f.avg_score, report.lang),
                diagnostics,
            ]
        )
    report.heading(report.t("overview.pdf.by_subject"))
    report.table(headers, rows, (18, 20, 14, 22, 8, 16))
    _absences(report, summary.total)
    if summary.series:
        report.heading(report.t("web.pupil.chart"))
        days = sorted({day for points in summary.series.values() for day, _ in points})
        series = []
        for code, points in sorted(summary.series.items()):
            by_day = dict(points)
            name = translate(lang, f"subject.{code}")
            series.append((name if name != f"subject.{code}" else code, [by_day.get(day) for day in days]))
        report.lines(days, series, height=40)
    if summary.comments:
        report.heading(report.t("overview.pdf.comments"))
        for day, about, text in summary.comments:
            report.paragraph(f"{day:%d.%m.%Y} · {_text(about, lang)}: {text}")
    report.footer_line()
    return report.output()
