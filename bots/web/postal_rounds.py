"""The documents of the Kazpost rounds already opened, as they were sent
(`/dashboard/delivery/rounds/{round}/{list.pdf|list.xlsx|packs.pdf}`): the collection list the
responsible teacher got as a PDF and an XLSX, and the paper packs the teacher and the class teachers
got, read from where the round wrote them when it opened (`scheduler.postal.round_documents`). The
delivery page lists the rounds of the period with the documents each still has on disk
(`monitoring.rounds`). A round outside the reader's scope, or a document not written (a round
without families on post sends no packs), is not found; each download is audited.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.dashboard import AUTH, Signed, login_required
from bots.web.site import SITE
from models.postal import PostalRound
from monitoring import Scope
from monitoring.rounds import OpenedRound
from scheduler.postal import LIST_PDF, LIST_XLSX, PACKS_PDF, PostalOptions, round_documents

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {LIST_PDF: "application/pdf", LIST_XLSX: XLSX, PACKS_PDF: "application/pdf"}


def documents(out_dir: Path, rounds: list[OpenedRound]) -> dict[int, list[str]]:
    """Each listed round's documents still on disk, in the order the page offers them."""
    return {
        opened.round_id: [
            name
            for name, path in round_documents(out_dir, opened.round_id, opened.collection).items()
            if path.is_file()
        ]
        for opened in rounds
    }


def find(engine: Engine, scope: Scope, round_id: int, name: str, out_dir: Path) -> Path | None:
    with Session(engine) as session:
        round_ = session.exec(
            select(PostalRound).where(
                PostalRound.id == round_id, col(PostalRound.class_id).in_(scope.classes())
            )
        ).first()
    if round_ is None:
        return None
    path = round_documents(out_dir, round_.id, round_.collection_date)[name]
    return path if path.is_file() else None


@routes.get("/dashboard/delivery/rounds/{round_id:\\d+}/{name:list\\.pdf|list\\.xlsx|packs\\.pdf}")
@login_required
async def document(request: web.Request, who: Signed) -> web.StreamResponse:
    site = request.app[SITE]
    round_id, name = int(request.match_info["round_id"]), request.match_info["name"]
    out_dir = PostalOptions.from_settings(site.settings).out_dir
    path = await asyncio.to_thread(find, site.engine, who[1], round_id, name, out_dir)
    if path is None:
        raise web.HTTPNotFound()
    await asyncio.to_thread(
        request.app[AUTH].audit, who[0], "dashboard.postal_round", round_id=round_id, document=name
    )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": TYPES[name],
            "Content-Disposition": f'attachment; filename="{path.name}"',
        },
    )
