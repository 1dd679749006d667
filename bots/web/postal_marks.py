"""A Kazpost round's items marked received or missing from the delivery page
(`POST /dashboard/delivery/rounds/{round}/items/{item}`, `mark` = received | missing), as the
responsible teacher marks them with /post in chat: the school's coordinator or the class teacher
holds the paper as often as the teacher does. What a mark does (the family told of a missing item,
the round closed by its last mark, the audit naming the dashboard) is `scheduler.postal_marks`.

The form is one of the dashboard's own (token and Origin, `bots.web.forms`). A round outside the
reader's classes, or a reader without a delivery page (a tutor), is not found; a district
coordinator reads the rounds but marks none (403). An item already marked is left as it is. The
answer goes back to the page in the query (`marked=<item>`), read by `marked_answer`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.dashboard import Signed, login_required
from bots.web.site import SITE
from locales import T, Text
from models.clock import utcnow
from models.enums import PostalItemStatus
from models.postal import PostalItem, PostalRound
from models.store import session_scope
from monitoring.scope import GROUP, Scope, scope_of
from scheduler import postal_marks

ANCHOR = "#rounds"
MARKED, ALREADY, NOT_FOUND, READS_ONLY = "marked", "already", "not_found", "reads_only"
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Answer:
    """The mark just made (or found already made), for the line under the rounds."""

    round_id: int
    text: Text
    already: bool
    closed: Text | None  # the round, fully marked, closed


def markable(session: Session, person_id: int, round_ids: list[int]) -> set[int]:
    """Which of these rounds the reader may mark: those of the classes they act on (their school or
    class; a district only reads, a tutor has no delivery page)."""
    acting = scope_of(session, person_id, areas=False)
    if acting is None or acting.level == GROUP or not round_ids:
        return set()
    found = session.exec(
        select(PostalRound.id).where(
            col(PostalRound.id).in_(round_ids), col(PostalRound.class_id).in_(acting.classes())
        )
    ).all()
    return {round_id for round_id in found if round_id is not None}


def _found(
    session: Session, scope: Scope, round_id: int, item_id: int, *, lock: bool = False
) -> tuple[PostalItem, PostalRound] | None:
    """The item of the round, when the round is of a class the reader sees; `lock`: held until the
    mark is written, so two presses at once (a double click, two readers) mark it once."""
    if scope.level == GROUP:
        return None
    round_ = session.exec(
        select(PostalRound).where(PostalRound.id == round_id, col(PostalRound.class_id).in_(scope.classes()))
    ).first()
    item = session.get(PostalItem, item_id, with_for_update=lock)
    if round_ is None or item is None or item.round_id != round_.id:
        return None
    return item, round_


def mark_item(engine: Engine, who: Signed, round_id: int, item_id: int, status: PostalItemStatus) -> str:
    """Mark the item: MARKED, ALREADY (marked before, left as it is), NOT_FOUND or READS_ONLY."""
    person_id, scope = who
    with session_scope(engine) as session:
        found = _found(session, scope, round_id, item_id, lock=True)
        if found is None:
            return NOT_FOUND
        item, round_ = found
        if round_id not in markable(session, person_id, [round_id]):
            return READS_ONLY
        if item.status != PostalItemStatus.PENDING.value:
            return ALREADY
        postal_marks.mark(session, item, round_, status, now=utcnow(), actor_id=person_id, where="dashboard")
        return MARKED


def marked_answer(engine: Engine, scope: Scope, raw: str) -> Answer | None:
    """The answer `marked=<item>[:already]` names, for an item of the reader's rounds."""
    raw_id, _, already = raw.partition(":")
    if not raw_id.isdigit():
        return None
    with Session(engine) as session:
        item = session.get(PostalItem, int(raw_id))
        found = _found(session, scope, item.round_id, item.id or 0) if item else None
        if found is None:
            return None
        item, round_ = found
        closed = (
            T("postal.round.closed", **postal_marks.round_params(session, round_))
            if round_.closed_at
            else None
        )
        return Answer(
            round_.id or 0, postal_marks.marked_text(session, item, round_), already == ALREADY, closed
        )


@routes.post("/dashboard/delivery/rounds/{round_id:\\d+}/items/{item_id:\\d+}")
@login_required
async def mark(request: web.Request, who: Signed) -> web.StreamResponse:
    form = await request.post()
    status = postal_marks.MARKS.get(str(form.get("mark", "")))
    if status is None:
        raise web.HTTPBadRequest()
    site = request.app[SITE]
    round_id, item_id = int(request.match_info["round_id"]), int(request.match_info["item_id"])
    outcome = await asyncio.to_thread(mark_item, site.engine, who, round_id, item_id, status)
    if outcome == NOT_FOUND:
        raise web.HTTPNotFound()
    if outcome == READS_ONLY:
        raise web.HTTPForbidden()
    if outcome == MARKED and status == PostalItemStatus.MISSING:
        site.wake_outbox()
    said = str(item_id) if outcome == MARKED else f"{item_id}:{ALREADY}"
    raise web.HTTPSeeOther(back_to(str(form.get("back", "")), said))


def back_to(back: str, said: str) -> str:
    """The delivery page the form was on (its period, search and pages), with the answer in the
    query and the rounds' anchor last (after it, the page would never read it)."""
    target = back if back.startswith("/dashboard/delivery") and "//" not in back else "/dashboard/delivery"
    path, _, query = target.partition("#")[0].partition("?")
    kept = [(key, value) for key, value in parse_qsl(query) if key != "marked"]
    return f"{path}?{urlencode([*kept, ('marked', said)])}{ANCHOR}"
