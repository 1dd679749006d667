"""The delivery page (`/dashboard/delivery`): per channel, what was delivered and what failed and
why, and where a failed message went next; the families no channel reached, with their numbers
("call these families"); and for the families on post, what goes in their class's next Kazpost
round, and the rounds already opened in the period with their documents as sent
(`monitoring.rounds`, `bots.web.postal_rounds`) and, for a reader who acts on the class, each item
still to mark received or missing (`bots.web.postal_marks`). Read through `monitoring.delivery`
over the chosen period and narrowing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bots.web.dashboard import Signed, login_required
from bots.web.i18n import render
from bots.web.overview import page_context, searched, the_view
from bots.web.postal_marks import markable, marked_answer
from bots.web.postal_rounds import documents
from bots.web.site import SITE
from bots.web.view import View, remember_period
from locales import Text
from monitoring.delivery import Delivery, PostFamily, Unreached, delivery, on_post, unreached
from monitoring.paging import Page, page_number
from monitoring.rounds import OpenedRound, opened_rounds
from monitoring.scope import GROUP
from scheduler.postal import PostalOptions
from scheduler.postal_marks import waiting

routes = web.RouteTableDef()
LIST_PAGE = 25


def mount(app: web.Application) -> None:
    app.add_routes(routes)


def load(
    engine: Engine, view: View, typed: str, call_page: int, post_page: int
) -> tuple[Delivery, Page[Unreached], Page[PostFamily]]:
    with Session(engine) as session:
        return (
            delivery(session, view.reading),
            unreached(session, view.reading, search=typed, page=call_page, size=LIST_PAGE),
            on_post(session, view.reading, search=typed, page=post_page, size=LIST_PAGE),
        )


@dataclass(frozen=True)
class Rounds:
    listed: Page[OpenedRound]
    waiting: dict[int, list[tuple[int, Text]]]  # per round the reader may mark: its items to mark


def load_rounds(engine: Engine, view: View, page: int) -> Rounds:
    with Session(engine) as session:
        listed = opened_rounds(session, view.reading, page=page, size=LIST_PAGE)
        mine = markable(session, view.person_id, [r.round_id for r in listed.items if not r.closed])
        return Rounds(listed, waiting(session, mine))


def packed_classes(post: Page[PostFamily]) -> dict[int, str]:
    """The classes of the listed families on post that have a next collection: whose paper packs
    the page offers to print (`bots.web.postal_packs`), in the list's order."""
    return {row.class_id: row.class_name for row in post.items if row.collection is not None}


@routes.get("/dashboard/delivery")
@login_required
async def delivery_page(request: web.Request, who: Signed) -> web.StreamResponse:
    view = await the_view(request, who)
    if view.full.level == GROUP:
        raise web.HTTPNotFound()
    site = request.app[SITE]
    typed = searched(request, "find")
    summary, to_call, post = await asyncio.to_thread(
        load,
        site.engine,
        view,
        typed,
        page_number(request.query.get("call_page")),
        page_number(request.query.get("post_page")),
    )
    rounds = await asyncio.to_thread(
        load_rounds, site.engine, view, page_number(request.query.get("rounds_page"))
    )
    marked = await asyncio.to_thread(marked_answer, site.engine, view.full, request.query.get("marked", ""))
    out_dir = PostalOptions.from_settings(site.settings).out_dir
    context = await asyncio.to_thread(page_context, request, view, site.engine)
    response = render(
        request,
        "delivery.html",
        **context,
        current="delivery",
        summary=summary,
        to_call=to_call,
        post=post,
        pack_classes=packed_classes(post),
        rounds=rounds.listed,
        round_documents=await asyncio.to_thread(documents, out_dir, rounds.listed.items),
        waiting=rounds.waiting,
        marked=marked,
        find=typed,
    )
    remember_period(request, response, view)
    return response
