"""The printed invitation sheet of a class: one A4 page per class (more when the class is long), with a
short how-to in Kazakh and Russian, then each person still to join with their code and a QR code of
the bot's deep link (`https://t.me/<bot>?start=<code>`), which opens the bot with the code filled in.

The QR codes are drawn by segno (pure Python, no system libraries) as PNG; the font is the Kazpost
list's (`scheduler.postal_sheets.unicode_font`, DejaVu Sans), which has the Kazakh letters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from locales import translate
from monitoring.invites import Invitee
from scheduler.postal_sheets import unicode_font

QR_MM = 30
ROW_MM = 34
HOW_TO_LANGUAGES = ("kk", "ru")


@dataclass(frozen=True)
class ClassSheet:
    class_name: str
    people: list[Invitee]  # those with a code in force; the others are listed by name only
    without_code: list[Invitee]


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}" if bot_username else ""


def _qr_png(link: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def sheet_pdf(sheets: list[ClassSheet], bot_username: str, lang: str) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("body", "", str(unicode_font()))
    for sheet in sheets:
        pdf.add_page()
        pdf.set_font("body", size=15)
        pdf.multi_cell(
            0,
            8,
            translate(lang, "invites.sheet.title", class_name=sheet.class_name),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font("body", size=9)
        for language in HOW_TO_LANGUAGES:
            text = translate(language, "invites.sheet.how_to", bot=f"@{bot_username}" if bot_username else "")
            pdf.multi_cell(0, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        for person in sheet.people:
            if pdf.get_y() + ROW_MM > pdf.h - pdf.b_margin:
                pdf.add_page()
            top = pdf.get_y() + 2
            link = deep_link(bot_username, person.code)
            if link:
                pdf.image(io.BytesIO(_qr_png(link)), x=pdf.l_margin, y=top, w=QR_MM, h=QR_MM)
            pdf.set_xy(pdf.l_margin + QR_MM + 6, top + 2)
            pdf.set_font("body", size=12)
            pdf.cell(0, 6, f"{person.name} — {translate(lang, f'invites.role.{person.role}')}")
            pdf.set_xy(pdf.l_margin + QR_MM + 6, top + 10)
            pdf.set_font("body", size=16)
            pdf.cell(0, 8, person.code)
            pdf.set_xy(pdf.l_margin + QR_MM + 6, top + 19)
            pdf.set_font("body", size=8)
            pdf.cell(0, 5, link)
            pdf.set_y(top + ROW_MM - 2)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        if sheet.without_code:
            pdf.ln(3)
            pdf.set_font("body", size=9)
            names = ", ".join(p.name for p in sheet.without_code)
            pdf.multi_cell(0, 4.6, translate(lang, "invites.sheet.without_code", names=names))
    return bytes(pdf.output())
