"""The invitation list (`/dashboard/invites`): each class's and group's people with the state of their
invitation (joined, code sent, expired, none), a page at a time; a new code for anyone on the list
(the old one is revoked); and the printable sheet of a class, one page per class with QR codes.

A class teacher sees their classes, a coordinator their schools (`monitoring.Scope`). Reissuing is a
POST from the list's own form; the audit names who reissued whose code.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bots.web.dashboard import AUTH, Signed, login_required
from bots.web.dashboard import page as dashboard_page
from bots.web.i18n import page_language
from bots.web.invite_sheet import ClassSheet, deep_link, sheet_pdf
from bots.web.site import SITE
from models.clock import utcnow
from models.invites import JOINED, SENT, reissue_invite
from models.journal import AuditLog
from models.store import session_scope
from monitoring import Scope
from monitoring.invites import Heading, Invitee, Section, class_section, in_scope, page_of
from settings import Settings

PAGE_SIZE = 40
routes = web.RouteTableDef()


def load_page(
    engine: Engine, scope: Scope, now: datetime, language: str, page: int
) -> tuple[list[tuple[Section, list[Invitee]]], int, list[Heading]]:
    with Session(engine) as session:
        return page_of(session, scope, now, language, page, PAGE_SIZE)


def load_class(engine: Engine, scope: Scope, now: datetime, language: str, class_id: int) -> Section | None:
    with Session(engine) as session:
        return class_section(session, scope, now, language, class_id)


def reissue(
    engine: Engine, settings: Settings, scope: Scope, actor: int, person_id: int, now: datetime
) -> str | None:
    """A new code for a person on the reader's list; None when they are not on it."""
    with session_scope(engine) as session:
        if not in_scope(session, scope, person_id, now):
            return None
        invite = reissue_invite(session, person_id, timedelta(days=settings.invite_ttl_days), now)
        session.add(
            AuditLog(
                at=now,
                actor_id=actor,
                action="invite.reissued",
                entity="person",
                entity_id=person_id,
                detail={"invite_id": invite.id, "where": "dashboard"},
            )
        )
        return invite.code


@routes.get("/dashboard/invites")
@login_required
async def invite_list(request: web.Request, who: Signed) -> web.Response:
    site = request.app[SITE]
    now = utcnow()
    raw_page = request.query.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    grouped, pages, found = await asyncio.to_thread(
        load_page, site.engine, who[1], now, page_language(request), page
    )
    issued = request.query.get("issued", "")
    return dashboard_page(
        request,
        "invites.html",
        grouped=grouped,
        page=min(page, pages),
        pages=pages,
        classes=[s for s in found if s.kind == "class"],
        issued=int(issued) if issued.isdigit() else None,
        link=lambda code: deep_link(site.bot_username, code),
    )


@routes.post("/dashboard/invites/{person_id:\\d+}/reissue")
@login_required
async def invite_reissue(request: web.Request, who: Signed) -> web.StreamResponse:
    site = request.app[SITE]
    form = await request.post()
    person_id = int(request.match_info["person_id"])
    now = utcnow()
    code = await asyncio.to_thread(reissue, site.engine, site.settings, who[1], who[0], person_id, now)
    if code is None:
        raise web.HTTPForbidden()
    page = str(form.get("page", "1"))
    raise web.HTTPFound(
        f"/dashboard/invites?page={page if page.isdigit() else 1}&issued={person_id}#p{person_id}"
    )


@routes.get("/dashboard/invites/{class_id:\\d+}.pdf")
@login_required
async def invite_sheet(request: web.Request, who: Signed) -> web.Response:
    site = request.app[SITE]
    class_id = int(request.match_info["class_id"])
    now = utcnow()
    chosen = await asyncio.to_thread(load_class, site.engine, who[1], now, page_language(request), class_id)
    if chosen is None:
        raise web.HTTPNotFound()
    sheet = ClassSheet(
        chosen.title,
        [p for p in chosen.people if p.state == SENT],
        [p for p in chosen.people if p.state not in (SENT, JOINED)],
    )
    body = await asyncio.to_thread(sheet_pdf, [sheet], site.bot_username, page_language(request))
    await asyncio.to_thread(request.app[AUTH].audit, who[0], "dashboard.invite_sheet", class_id=class_id)
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="ustaz-invites-{class_id}.pdf"'},
    )
