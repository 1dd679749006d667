"""Reports that leave the building, and the tables' exports, over the period and narrowing chosen:

* `/dashboard/export/<table>.xlsx|csv` — a monitoring table, all of it, streamed;
* `/dashboard/reports/journal.xlsx|csv` — the e-journal's rows (pupil × graded work: day, work,
  score, mark, and the pupil's quarter mark in that subject and quarter), to copy into Kundelik or
  BilimClass;
* `/dashboard/reports/hours.xlsx` — lessons scheduled and held and hours delivered, per group and
  per tutor (for pay);
* `/dashboard/reports/programme.pdf?lang=kk|ru` — the programme report of the period: participation,
  attendance, work, scores and growth, with charts;
* `/dashboard/pupil/<id>/summary.pdf` — one pupil's page for a parents' meeting.

Each download is written to the audit log (who, what, which period).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bots.web.dashboard import AUTH, Signed, login_required
from bots.web.export import file_name
from bots.web.i18n import page_language, render
from bots.web.overview import page_context, the_view
from bots.web.pdf import programme_pdf, pupil_pdf
from bots.web.site import SITE
from bots.web.streamed import XLSX_TYPE, attachment, csv_response, file_response, xlsx_response
from bots.web.view import View
from locales import translate
from monitoring.overview import overview
from monitoring.reports import GroupHours, hours, journal_listing, pupil_summary, tutor_hours
from monitoring.tables import LISTINGS, Listing, tables_for

routes = web.RouteTableDef()
PDF_LANGUAGES = ("kk", "ru")  # the programme's report goes to the education office in either


def mount(app: web.Application) -> None:
    app.add_routes(routes)


def audit(request: web.Request, who: Signed, view: View, what: str, kind: str) -> None:
    request.app[AUTH].audit(who[0], "dashboard.export", table=what, format=kind, period=view.query())


async def table_export(
    request: web.Request, who: Signed, view: View, name: str, kind: str, build: partial[Listing]
) -> web.StreamResponse:
    site = request.app[SITE]
    lang = page_language(request)
    await asyncio.to_thread(audit, request, who, view, name, kind)
    filename = file_name(name, kind, view.period.start, view.period.end)
    if kind == "csv":
        return await csv_response(request, site.engine, build, lang, filename)
    title = translate(lang, f"web.table.{name}")
    return await xlsx_response(request, site.engine, build, lang, title, filename)


def _listing(name: str, view: View, session: Session) -> Listing:
    return LISTINGS[name](session, view.ask())


def _journal(view: View, session: Session) -> Listing:
    return journal_listing(session, view.ask())


@routes.get("/dashboard/export/{name}.{kind:xlsx|csv}")
@login_required
async def export(request: web.Request, who: Signed) -> web.StreamResponse:
    name, kind = request.match_info["name"], request.match_info["kind"]
    view = await the_view(request, who)
    if name not in tables_for(view.full):
        raise web.HTTPNotFound()
    return await table_export(request, who, view, name, kind, partial(_listing, name, view))


@routes.get("/dashboard/reports")
@login_required
async def reports_page(request: web.Request, who: Signed) -> web.Response:
    view = await the_view(request, who)
    context = await asyncio.to_thread(page_context, request, view, request.app[SITE].engine)
    return render(request, "reports.html", **context, current="reports", pdf_languages=PDF_LANGUAGES)


@routes.get("/dashboard/reports/journal.{kind:xlsx|csv}")
@login_required
async def journal(request: web.Request, who: Signed) -> web.StreamResponse:
    view = await the_view(request, who)
    kind = request.match_info["kind"]
    return await table_export(request, who, view, "journal", kind, partial(_journal, view))


def hours_xlsx(engine: Engine, view: View, lang: str, path: Path) -> None:
    """The hours report as a workbook at `path`: a sheet per group and one per tutor, written row by
    row (openpyxl's write-only workbook: a district's two thousand groups are not held as cells)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    with Session(engine) as session:
        groups = hours(session, view.reading)
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, columns: Sequence[str]) -> Any:
        made = book.create_sheet(translate(lang, title)[:31])
        made.freeze_panes = "A2"
        for letter in "ABCDEFGH":
            made.column_dimensions[letter].width = 18
        heads = []
        for column in columns:
            head = WriteOnlyCell(made, value=translate(lang, f"overview.hours.{column}"))
            head.font = bold
            heads.append(head)
        made.append(heads)
        return made

    by_group = sheet(
        "overview.hours.by_group",
        ("school", "group", "subject", "tutor", "scheduled", "held", "minutes", "hours"),
    )
    for row in groups:
        by_group.append(_group_row(row, lang))
    by_tutor = sheet("overview.hours.by_tutor", ("tutor", "groups", "held", "minutes", "hours"))
    for tutor in tutor_hours(groups, lang):
        by_tutor.append([tutor.tutor, tutor.groups, tutor.held, tutor.minutes, tutor.hours])
    book.save(path)


def _group_row(row: GroupHours, lang: str) -> list[object]:
    subject = row.subject.render(lang) if not isinstance(row.subject, str) else row.subject
    return [row.school, row.group, subject, row.tutor, row.scheduled, row.held, row.minutes, row.hours]


@routes.get("/dashboard/reports/hours.xlsx")
@login_required
async def hours_report(request: web.Request, who: Signed) -> web.StreamResponse:
    view = await the_view(request, who)
    lang = page_language(request)
    await asyncio.to_thread(audit, request, who, view, "hours", "xlsx")
    name = f"ustaz-hours-{view.period.start:%Y%m%d}-{view.period.end:%Y%m%d}.xlsx"
    with tempfile.TemporaryDirectory(prefix="ustaz-export-") as folder:
        path = Path(folder) / "hours.xlsx"
        await asyncio.to_thread(hours_xlsx, request.app[SITE].engine, view, lang, path)
        return await file_response(request, path, XLSX_TYPE, name)


def _programme(engine: Engine, view: View, lang: str, heading: str) -> bytes:
    with Session(engine) as session:
        figures = overview(session, view.reading)
    return programme_pdf(figures, lang, heading)


@routes.get("/dashboard/reports/programme.pdf")
@login_required
async def programme_report(request: web.Request, who: Signed) -> web.Response:
    view = await the_view(request, who)
    lang = request.query.get("lang", "")
    lang = (
        lang
        if lang in PDF_LANGUAGES
        else (page_language(request) if page_language(request) in PDF_LANGUAGES else "kk")
    )
    site = request.app[SITE]
    context = await asyncio.to_thread(page_context, request, view, site.engine)
    await asyncio.to_thread(audit, request, who, view, "programme", "pdf")
    body = await asyncio.to_thread(_programme, site.engine, view, lang, context["heading"])
    name = f"ustaz-programme-{view.period.start:%Y%m%d}-{view.period.end:%Y%m%d}-{lang}.pdf"
    return web.Response(body=body, content_type="application/pdf", headers=attachment(name))


def _pupil(engine: Engine, view: View, pupil_id: int, lang: str) -> bytes | None:
    with Session(engine) as session:
        summary = pupil_summary(session, view.reading, pupil_id)
    return pupil_pdf(summary, view.period, lang) if summary is not None else None


@routes.get("/dashboard/pupil/{pupil_id:\\d+}/summary.pdf")
@login_required
async def pupil_report(request: web.Request, who: Signed) -> web.Response:
    view = await the_view(request, who)
    lang = page_language(request)
    pupil_id = int(request.match_info["pupil_id"])
    body = await asyncio.to_thread(_pupil, request.app[SITE].engine, view, pupil_id, lang)
    if body is None:
        raise web.HTTPNotFound()
    await asyncio.to_thread(audit, request, who, view, f"pupil:{pupil_id}", "pdf")
    return web.Response(
        body=body, content_type="application/pdf", headers=attachment(f"ustaz-pupil-{pupil_id}-{lang}.pdf")
    )
