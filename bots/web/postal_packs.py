"""The paper packs of a class's next Kazpost round, printable from the delivery page
(`/dashboard/delivery/packs/{class_id}.pdf`): what each family on post would get on paper if the
round opened now — the same PDF the round sends its responsible teacher and class teachers when it
opens (`scheduler.postal`), so the coordinator can check it and print it ahead. Writes nothing but
the audit line; a class outside the reader's scope, or with no Kazpost schedule or nobody on post,
is not found.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.dashboard import AUTH, Signed, login_required
from bots.web.site import SITE
from models.clock import utcnow
from models.school import SchoolClass
from monitoring import Scope
from scheduler.postal import next_packs_pdf

routes = web.RouteTableDef()


def load(engine: Engine, scope: Scope, class_id: int, now: datetime, zone: ZoneInfo) -> bytes | None:
    with Session(engine) as session:
        in_scope = session.exec(
            select(SchoolClass.id).where(SchoolClass.id == class_id, col(SchoolClass.id).in_(scope.classes()))
        ).first()
        return next_packs_pdf(session, class_id, now, zone) if in_scope is not None else None


@routes.get("/dashboard/delivery/packs/{class_id:\\d+}.pdf")
@login_required
async def packs(request: web.Request, who: Signed) -> web.Response:
    site = request.app[SITE]
    class_id = int(request.match_info["class_id"])
    body = await asyncio.to_thread(load, site.engine, who[1], class_id, utcnow(), site.settings.zone)
    if body is None:
        raise web.HTTPNotFound()
    await asyncio.to_thread(request.app[AUTH].audit, who[0], "dashboard.postal_packs", class_id=class_id)
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="ustaz-kazpost-packs-{class_id}.pdf"'},
    )
