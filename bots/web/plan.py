"""The coordinator's plan page (`/dashboard/plan`): where the school year stands and the days off
ahead (`schoolyear`), lessons cancelled for a range of dates (a quarantine week) and substitute tutors
named or ended — for the schools they coordinate only. The first and last days are typed dd.mm.yyyy
in every language (`monitoring.periods.typed_date`); a refused change keeps what was typed. Its
forms are the dashboard's, guarded against other sites (`bots.web.forms`); the changes and their
messages are the command line's (`scheduler.lesson_ranges`, `scheduler.substitutes`), written in
one transaction, and the outbox is woken after.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.dashboard import AUTH, Signed, login_required
from bots.web.dashboard import page as dashboard_page
from bots.web.i18n import page_language
from bots.web.site import SITE
from locales import T, Text
from models.people import Person
from models.school import TutoringGroup
from models.store import session_scope
from models.substitutes import Substitution
from monitoring.periods import BadDate, typed_date
from monitoring.plan import coordinated, period_text, plans
from scheduler.coordinator import Refused
from scheduler.lesson_ranges import MAX_REASON, cancel_range
from scheduler.substitutes import assign_substitute, end_substitution

ALL_GROUPS = "all"
routes = web.RouteTableDef()


def mount(app: web.Application) -> None:
    app.add_routes(routes)


def _today(request: web.Request) -> date:
    return datetime.now(request.app[SITE].settings.zone).date()


def _schools(engine: Engine, person_id: int) -> list[int]:
    with Session(engine) as session:
        return coordinated(session, person_id)


def _shown(value: Text | str | None, lang: str) -> str:
    if value is None:
        return ""
    return value.render(lang) if isinstance(value, Text) else value


async def _page(
    request: web.Request,
    who: Signed,
    outcome: Text | None = None,
    failed: bool = False,
    kept: dict[str, str] | None = None,
) -> web.Response:
    """The page; after a refused change, `kept` holds what was typed into that form (its name under
    "form"), so nothing has to be typed again."""
    site = request.app[SITE]
    school_ids = await asyncio.to_thread(_schools, site.engine, who[0])
    if not school_ids:
        raise web.HTTPForbidden()
    today = _today(request)

    def read() -> list[Any]:
        with Session(site.engine) as session:
            return plans(session, school_ids, today)

    lang = page_language(request)
    found = await asyncio.to_thread(read)
    return dashboard_page(
        request,
        "plan.html",
        status=400 if failed else 200,
        plans=found,
        shown=lambda value: _shown(value, lang),
        period=lambda plan: _shown(period_text(plan), lang),
        outcome=_shown(outcome, lang),
        failed=failed,
        kept=kept or {},
        max_reason=MAX_REASON,
    )


@routes.get("/dashboard/plan")
@login_required
async def plan_page(request: web.Request, who: Signed) -> web.Response:
    return await _page(request, who)


async def _change(request: web.Request, who: Signed, change: Any) -> web.Response:
    """Run one change for a coordinator (the form's token and origin are checked before, by
    `bots.web.forms`); the page again, with what happened."""
    site = request.app[SITE]
    form = await request.post()
    school_ids = await asyncio.to_thread(_schools, site.engine, who[0])
    if not school_ids:
        raise web.HTTPForbidden()
    fields = {name: str(value) for name, value in form.items() if isinstance(value, str)}

    def apply() -> Text:
        with session_scope(site.engine) as session:
            return change(session, school_ids, fields)  # type: ignore[no-any-return]

    try:
        outcome = await asyncio.to_thread(apply)
    except (Refused, ValueError) as refused:
        said = refused.text if isinstance(refused, Refused) else T("web.plan.bad_form")
        kept = {**fields, "form": request.path.rsplit("/", 1)[-1]}
        return await _page(request, who, said, failed=True, kept=kept)
    # What changed, by ids and dates (the reason's words stay in the change itself).
    detail = {name: fields[name] for name in ("group", "substitute", "first", "last") if name in fields}
    await asyncio.to_thread(request.app[AUTH].audit, who[0], "dashboard.plan", path=request.path, **detail)
    site.wake_outbox()
    return await _page(request, who, outcome)


def _groups(session: Session, school_ids: list[int], chosen: str) -> list[TutoringGroup]:
    """The group chosen on the form, or every group of the coordinator's schools; never another's."""
    query = select(TutoringGroup).where(col(TutoringGroup.school_id).in_(school_ids))
    if chosen != ALL_GROUPS:
        query = query.where(TutoringGroup.id == int(chosen))
    found = list(session.exec(query.order_by(col(TutoringGroup.code))).all())
    if not found:
        raise Refused(T("web.plan.unknown_group"))
    return found


def _dates(fields: dict[str, str]) -> tuple[date, date]:
    """The first and last days as typed, dd.mm.yyyy (`typed_date`); refused with how to write them."""
    try:
        return typed_date(fields.get("first", "")), typed_date(fields.get("last", ""))
    except BadDate as error:
        raise Refused(T("web.plan.date_invalid")) from error


@routes.post("/dashboard/plan/cancel")
@login_required
async def cancel_lessons(request: web.Request, who: Signed) -> web.Response:
    today = _today(request)

    def change(session: Session, school_ids: list[int], fields: dict[str, str]) -> Text:
        first, last = _dates(fields)
        groups = _groups(session, school_ids, fields.get("group", ""))
        reason = fields.get("reason", "")
        return cancel_range(session, groups, first, last, today=today, reason=reason, by=who[0])

    return await _change(request, who, change)


@routes.post("/dashboard/plan/substitute")
@login_required
async def substitute(request: web.Request, who: Signed) -> web.Response:
    today = _today(request)

    def change(session: Session, school_ids: list[int], fields: dict[str, str]) -> Text:
        first, last = _dates(fields)
        [group] = _groups(session, school_ids, fields.get("group", "") or "0")
        person = session.get(Person, int(fields.get("substitute", "0")))
        if person is None:
            raise Refused(T("web.plan.unknown_person"))
        return assign_substitute(session, group, person, first, last, today=today, by=who[0])

    return await _change(request, who, change)


@routes.post("/dashboard/plan/substitute/{row_id:\\d+}/end")
@login_required
async def end(request: web.Request, who: Signed) -> web.Response:
    row_id = int(request.match_info["row_id"])

    def change(session: Session, school_ids: list[int], _fields: dict[str, str]) -> Text:
        row = session.get(Substitution, row_id)
        group = session.get(TutoringGroup, row.group_id) if row is not None else None
        if row is None or group is None or group.school_id not in school_ids:
            raise Refused(T("substitute.refused.not_active"))
        return end_substitution(session, row)

    return await _change(request, who, change)
