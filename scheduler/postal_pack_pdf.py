"""The paper packs of a Kazpost round as one printable PDF (fpdf2, the embedded Cyrillic/Kazakh font of
`postal_sheets`): a pupil per page or more, in the family's language — the homework with deadlines
and the collection to hand each in at, the tutors' material (photos printed, other files named),
the work returned for redo, the grades given and each subject's quarter mark so far (the family
record's lines), the announcements that
reached the family by no channel, and a return address label to cut out and stick
on the envelope the work comes back in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assessment.texts import work_label
from locales import T, Text, translate
from models.spreadsheet import as_text
from scheduler.postal_packs import Pack, Task
from scheduler.postal_sheets import unicode_font

PRINTED = (".jpg", ".jpeg", ".png")  # our stored photos; the rest are named, not printed
IMAGE_WIDTH = 110  # mm
LABEL_HEIGHT = 46  # mm


@dataclass(frozen=True)
class Round:
    """What every pack of a round says of it: the class, the school and point the work returns to."""

    class_name: str
    school: str
    point: str
    collection: date
    next_collection: date


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def grading(task: Task) -> Text | None:
    if not task.scored:
        return None
    if task.max_points:
        return T("pack.grading.points", label=work_label(task.kind, task.label), max=task.max_points)
    return T("pack.grading.score", label=work_label(task.kind, task.label))


def printable(path: str | None) -> Path | None:
    found = Path(path) if path else None
    return found if found is not None and found.suffix.lower() in PRINTED and found.is_file() else None


class _Writer:
    """One PDF, written pack after pack; each text in the pack's language and never a formula."""

    def __init__(self) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=14)
        regular = unicode_font()
        bold = regular.with_name(regular.stem.removesuffix("-Regular") + "-Bold.ttf")
        self.pdf.add_font("body", "", str(regular))
        self.pdf.add_font("body", "B", str(bold if bold.is_file() else regular))
        self.locale = "kk"

    def line(self, text: str, size: int = 10, style: str = "", gap: float = 1.5) -> None:
        from fpdf.enums import XPos, YPos

        self.pdf.set_font("body", style, size)
        self.pdf.multi_cell(0, size * 0.5, as_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(gap)

    def say(self, key: str, size: int = 10, style: str = "", **params: object) -> None:
        self.line(translate(self.locale, key, **params), size, style)

    def attachment(self, path: str | None) -> None:
        image = printable(path)
        if image is not None:
            self.pdf.image(str(image), w=IMAGE_WIDTH)
            self.pdf.ln(2)
        elif path:
            self.say("pack.attachment_elsewhere", 9)

    def pack(self, pack: Pack, round_: Round) -> None:
        self.locale = pack.locale
        self.pdf.add_page()
        self.say("pack.title", 14, "B", class_name=round_.class_name, date=_day(round_.collection))
        self.say("pack.pupil", 11, pupil=pack.pupil)
        self.say("pack.address", 11, address=pack.address or "—")
        self.say("pack.tasks", 12, "B")
        if not pack.tasks:
            self.say("pack.no_tasks")
        for n, task in enumerate(pack.tasks, start=1):
            due = task.due.strftime("%d.%m.%Y %H:%M")
            self.say("pack.task", 11, "B", n=n, subject=task.subject, due=due)
            graded = grading(task)
            if graded is not None:
                self.line(graded.render(self.locale), 9)
            self.line(task.text)
            self.attachment(task.attachment)
            self.say("pack.hand_in", 9, date=_day(task.hand_in_on))
        if pack.materials:
            self.say("pack.materials", 12, "B")
        for material in pack.materials:
            self.say("pack.material", 10, "B", subject=material.subject, date=_day(material.posted))
            self.line(material.text)
            self.attachment(material.attachment)
        self.record("pack.returned", pack.returned)
        self.record("pack.grades", pack.grades)
        self.record("pack.quarter", pack.quarter, date=_day(round_.collection))
        if pack.messages:
            self.say("pack.messages", 12, "B")
        for message in pack.messages:
            self.say("pack.message", date=_day(message.on), text=message.text)
        self.label(pack, round_)

    def record(self, heading: str, items: list[Text], **params: object) -> None:
        """A section of the family's record lines, under its heading; nothing when it is empty."""
        if items:
            self.say(heading, 12, "B", **params)
        for item in items:
            self.line(item.render(self.locale))

    def label(self, pack: Pack, round_: Round) -> None:
        """A dashed box to cut out: where the work goes back to, and from whom."""
        pdf = self.pdf
        if pdf.get_y() + LABEL_HEIGHT > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(4)
        top = pdf.get_y()
        pdf.set_dash_pattern(dash=2, gap=2)
        pdf.rect(pdf.l_margin, top, pdf.epw, LABEL_HEIGHT)
        pdf.set_dash_pattern()
        pdf.set_xy(pdf.l_margin + 4, top + 3)
        left = pdf.l_margin
        pdf.set_left_margin(left + 4)
        self.say("pack.label.title", 11, "B")
        self.say("pack.label.to", 11, school=round_.school, point=round_.point)
        self.say("pack.label.from", 11, pupil=pack.pupil, address=pack.address or "—")
        self.say("pack.label.note", 9, date=_day(round_.next_collection))
        pdf.set_left_margin(left)
        pdf.set_y(top + LABEL_HEIGHT + 2)


def packs_pdf(packs: list[Pack], round_: Round) -> bytes:
    writer = _Writer()
    for pack in packs:
        writer.pack(pack, round_)
    return bytes(writer.pdf.output())
