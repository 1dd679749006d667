"""The dashboard's first page (`/dashboard`): the figures at a glance for the chosen period, per
school, group or tutor, with the weekly trend and the scores' spread, and beneath them who needs
attention, with a one-click reminder. The monitoring tables (`/dashboard?table=…`) share the
period, the narrowing and the tabs, and are paged and searched.

Pages read through `monitoring` in a worker thread; nothing here counts rows in Python.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bots.web.chart import bar_chart, trend_chart
from bots.web.dashboard import Signed, login_required
from bots.web.export import cell_text
from bots.web.formats import absences, number, percent
from bots.web.forms import FIELD, form_token
from bots.web.i18n import page_language, render
from bots.web.reminders import Sent, remind
from bots.web.site import SITE
from bots.web.view import View, remember_period, view_of
from locales import Text, translate
from locales.collation import sort_key
from models.district import DistrictCoordinator
from models.school import School, SchoolClass, TutoringGroup
from monitoring import periods
from monitoring.attention import NEEDS, Attention, attention
from monitoring.figures import SCORES, Figures
from monitoring.overview import Overview, Unit, by_name, overview
from monitoring.paging import PAGE_SIZE, Page, page_number
from monitoring.scope import DISTRICT, GROUP
from monitoring.tables import LISTINGS, Table, page_of, tables_for

routes = web.RouteTableDef()
UNITS_PAGE = 25
ATTENTION_PAGE = 20
SEARCH_CHARS = 60

# How a breakdown may be sorted: worst first for the percentages, so what lags is on top; units that
# tie keep their order by name (`by_name`, in the reader's alphabet), as Python's sort is stable.
SORTS: dict[str, Callable[[Unit], Any]] = {
    "name": lambda u: 0,
    "pupils": lambda u: -u.figures.pupils,
    "consent": lambda u: _low_first(u.figures.consent_pct),
    "attendance": lambda u: _low_first(u.figures.attendance_pct),
    "on_time": lambda u: _low_first(u.figures.on_time_pct),
    "score": lambda u: _low_first(u.figures.avg_score),
    "growth": lambda u: _low_first(u.figures.growth),
}


def _low_first(value: float | None) -> tuple[int, float]:
    return (1, 0.0) if value is None else (0, value)


def mount(app: web.Application) -> None:
    """Serve the overview, the tables and the reminder on `app` (after `bots.web.dashboard.mount`)."""
    app.add_routes(routes)


def searched(request: web.Request, name: str) -> str:
    return request.query.get(name, "").strip()[:SEARCH_CHARS]


@dataclass(frozen=True)
class Card:
    """One figure at the top of the page."""

    key: str
    value: str
    detail: Text
    need: str = ""  # the attention list's filter this figure leads to
    tone: str = ""  # good / fair / poor, from the value


def tone(value: float | None, good: float, fair: float) -> str:
    if value is None:
        return ""
    return "good" if value >= good else "fair" if value >= fair else "poor"


def cards(total: Figures, lang: str) -> list[Card]:
    reasons = absences(total.reasons, total.excused, lang)
    return [
        Card(
            "consent",
            percent(total.consent_pct, lang),
            Text("overview.card.consent_detail", {"consented": total.consented, "pupils": total.pupils}),
            "consent",
            tone(total.consent_pct, 90, 70),
        ),
        Card(
            "attendance",
            percent(total.attendance_pct, lang),
            Text(
                "overview.card.attendance_detail",
                {"marks": total.marks, "late": total.late, "absent": total.absent},
            )
            if not reasons
            else Text(
                "overview.card.attendance_reasons",
                {"marks": total.marks, "late": total.late, "absent": total.absent, "reasons": reasons},
            ),
            "absent",
            tone(total.attendance_pct, 90, 75),
        ),
        Card(
            "on_time",
            percent(total.on_time_pct, lang),
            Text(
                "overview.card.on_time_detail",
                {
                    "on_time": total.on_time,
                    "expected": total.expected,
                    "late": total.handed_late,
                    "missing": total.missing,
                },
            ),
            "missing",
            tone(total.on_time_pct, 85, 65),
        ),
        Card(
            "score",
            number(total.avg_score, lang),
            Text("overview.card.score_detail", {"works": total.scored}),
            "",
            tone(total.avg_score, 7, 5),
        ),
        Card(
            "growth",
            number(total.growth, lang, signed=True),
            Text("overview.card.growth_detail", {"pupils": total.grown})
            if total.grown
            else Text("overview.card.growth_none", {"entered": total.entered}),
            "",
            tone(total.growth, 5, 0),
        ),
    ]


def units_page(units: list[Unit], typed: str, sort: str, number_: int, language: str) -> Page[Unit]:
    found = [u for u in units if typed.casefold() in u.name.casefold()] if typed else units
    found = sorted(by_name(found, language), key=SORTS.get(sort, SORTS["name"]))
    page: Page[Unit] = Page(number=number_, size=UNITS_PAGE, total=len(found))
    page.items = found[page.offset : page.offset + page.size]
    return page


def heading(engine: Engine, view: View) -> str:
    """What the page is about: a group, a school, a district or region, or the reader's classes."""
    scope = view.scope
    with Session(engine) as session:
        if scope.level == GROUP and len(scope.group_ids) == 1:
            row = session.execute(
                select(col(TutoringGroup.code)).where(col(TutoringGroup.id).in_(scope.group_ids))
            ).scalar_one_or_none()
            return row or ""
        if scope.level == DISTRICT:
            areas = session.execute(
                select(col(DistrictCoordinator.region), col(DistrictCoordinator.district)).where(
                    col(DistrictCoordinator.person_id) == view.person_id
                )
            ).all()
            return "; ".join(" — ".join(p for p in area if p) for area in areas)
        if len(scope.school_ids) == 1:
            return session.execute(
                select(col(School.name)).where(col(School.id).in_(scope.school_ids))
            ).scalar_one()
        if scope.class_ids:
            names = session.execute(
                select(col(SchoolClass.name)).where(col(SchoolClass.id).in_(scope.class_ids))
            )
            return ", ".join(sorted(names.scalars(), key=lambda name: sort_key(view.language, name)))
    return ""


def load_overview(
    engine: Engine, view: View, need: str, typed: str, page: int
) -> tuple[Overview, Page[Attention]]:
    with Session(engine) as session:
        figures = overview(session, view.reading)
        listed = attention(session, view.reading, need=need, search=typed, page=page, size=ATTENTION_PAGE)
    return figures, listed


def load_table(engine: Engine, view: View, name: str, typed: str, page: int) -> Table:
    with Session(engine) as session:
        return page_of(session, LISTINGS[name](session, view.ask(typed)), page, PAGE_SIZE)


def tabs(view: View) -> list[tuple[str, str]]:
    """The tabs a reader has: (name, link)."""
    names = ["overview", *tables_for(view.full)]
    if view.full.level != GROUP:
        names.append("delivery")
    names.append("reports")
    links = {"overview": "/dashboard", "delivery": "/dashboard/delivery", "reports": "/dashboard/reports"}
    return [(name, links.get(name, f"/dashboard?table={name}")) for name in names]


def page_context(request: web.Request, view: View, engine: Engine) -> dict[str, Any]:
    """What every monitoring page's header needs: tabs, the period menu, the heading."""
    first_year = periods.first_year_of(view.now.astimezone(view.zone).date())
    return {
        "view": view,
        "tabs": tabs(view),
        "years": [first_year, first_year - 1],
        "heading": heading(engine, view),
        "form_token": form_token(request),
    }


async def the_view(request: web.Request, who: Signed) -> View:
    site = request.app[SITE]
    return await asyncio.to_thread(view_of, request, site.engine, who[0], who[1], site.settings.zone)


@routes.get("/dashboard")
@login_required
async def overview_page(request: web.Request, who: Signed) -> web.StreamResponse:
    """`/dashboard`: the overview, or one of the tables when `?table=` names one."""
    site = request.app[SITE]
    view = await the_view(request, who)
    name = request.query.get("table")
    if name is not None:
        return await table_page(request, view, name)
    need = request.query.get("need", "")
    need = need if need in NEEDS else ""
    typed = searched(request, "find")
    figures, listed = await asyncio.to_thread(
        load_overview, site.engine, view, need, typed, page_number(request.query.get("page"))
    )
    lang = page_language(request)
    context = await asyncio.to_thread(page_context, request, view, site.engine)
    sort = request.query.get("sort", "name")
    breakdowns = [
        (
            kind,
            units_page(
                units,
                searched(request, "units"),
                sort,
                page_number(request.query.get(f"{kind}_page")),
                view.language,
            ),
        )
        for kind, units in figures.units.items()
    ]
    response = render(
        request,
        "overview.html",
        **context,
        current="overview",
        cards=cards(figures.total, lang),
        trend=Markup(
            trend_chart(
                [w.monday for w in figures.weeks],
                [
                    (translate(lang, "overview.card.attendance"), [w.attendance for w in figures.weeks]),
                    (translate(lang, "overview.card.on_time"), [w.on_time for w in figures.weeks]),
                ],
                translate(lang, "overview.chart.trend"),
            )
        ),
        spread=Markup(
            bar_chart([str(n) for n in SCORES], figures.scores, translate(lang, "overview.chart.spread"))
        ),
        breakdowns=breakdowns,
        sort=sort,
        units_search=searched(request, "units"),
        listed=listed,
        need=need,
        needs=NEEDS,
        find=typed,
        percent=partial(percent, lang=lang),
        number=partial(number, lang=lang),
        reminded=request.query.get("reminded", ""),
        field=FIELD,
    )
    remember_period(request, response, view)
    return response


async def table_page(request: web.Request, view: View, name: str) -> web.StreamResponse:
    if name not in tables_for(view.full):
        raise web.HTTPNotFound()
    site = request.app[SITE]
    typed = searched(request, "find")
    table = await asyncio.to_thread(
        load_table, site.engine, view, name, typed, page_number(request.query.get("page"))
    )
    lang = page_language(request)
    context = await asyncio.to_thread(page_context, request, view, site.engine)
    response = render(
        request,
        "dashboard.html",
        **context,
        current=name,
        table=table,
        rows=[[cell_text(cell, lang) for cell in row] for row in table.rows],
        find=typed,
    )
    remember_period(request, response, view)
    return response


@routes.post("/dashboard/remind")
@login_required
async def remind_pupil(request: web.Request, who: Signed) -> web.StreamResponse:
    """The one-click reminder: POST pupil (the form's token is checked for every dashboard form by
    `bots.web.forms`); back to the page it came from."""
    form = await request.post()
    raw = str(form.get("pupil", ""))
    if not raw.isdigit():
        raise web.HTTPBadRequest()
    site = request.app[SITE]
    view = await the_view(request, who)
    sent: Sent | None = await asyncio.to_thread(remind, site.engine, view.reading, who[0], int(raw))
    if sent is None:
        raise web.HTTPForbidden()
    if sent.written:
        site.wake_outbox()
    back = str(form.get("back", ""))
    target = back if back.startswith("/dashboard") and "//" not in back else "/dashboard"
    # The answer goes in the query, before the list's anchor: after it, the page would never read it.
    path, _, anchor = target.partition("#")
    joiner = "&" if "?" in path else "?"
    raise web.HTTPSeeOther(
        f"{path}{joiner}reminded={raw}:{sent.written}:{sent.already}" + (f"#{anchor}" if anchor else "")
    )
