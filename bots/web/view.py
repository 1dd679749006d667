"""What every monitoring page is read over: the reader's scope (narrowed to one school or group when
they drill down), the period they chose, the school's time zone and now.

The period comes from the query string (`?period=q2&year=2026`, `?period=dates&from=…&to=…`) and is
remembered in a cookie, so the tabs keep it without carrying it in every link; a period the page
cannot read is answered with the current quarter and a note saying so. `?school=` and `?group=`
narrow the scope and travel in the links (`View.query`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from models.clock import utcnow
from monitoring import periods
from monitoring.figures import Reading
from monitoring.periods import BadPeriod, Period
from monitoring.scope import Scope
from monitoring.tables import Ask

PERIOD_COOKIE = "ustaz_period"
PERIOD_KEYS = ("period", "year", "from", "to")
NARROWING = ("school", "group")


@dataclass(frozen=True)
class View:
    person_id: int
    full: Scope  # everything the reader may see
    scope: Scope  # what this page shows: all of it, or one school or group of it
    period: Period
    zone: ZoneInfo
    now: datetime
    narrowed: dict[str, str] = field(default_factory=dict)
    period_refused: bool = False

    @property
    def reading(self) -> Reading:
        return Reading(self.scope, self.period, self.zone, self.now)

    def ask(self, search: str = "") -> Ask:
        return Ask(self.scope, self.zone, self.now, self.period, search)

    def query(self, keep: Mapping[str, str | int | None] | None = None, **changes: str | int | None) -> str:
        """This view's query string (period and narrowing) with `keep` and `changes` (None removes a
        key): the links of a page keep what it shows."""
        values: dict[str, str] = {**self.period.query, **self.narrowed}
        for key, value in {**(keep or {}), **changes}.items():
            if value is None or value == "":
                values.pop(key, None)
            else:
                values[key] = str(value)
        return urlencode(values)


def _narrowed(session: Session, scope: Scope, query: Mapping[str, str]) -> tuple[Scope, dict[str, str]]:
    """The scope narrowed by `?school=` or `?group=`; 404 when that is not the reader's to see."""
    raw_school, raw_group = query.get("school", ""), query.get("group", "")
    if raw_group:
        if not raw_group.isdigit():
            raise web.HTTPNotFound()
        narrowed = scope.within_group(session, int(raw_group))
        if narrowed is None:
            raise web.HTTPNotFound()
        return narrowed, {"group": raw_group}
    if raw_school:
        if not raw_school.isdigit():
            raise web.HTTPNotFound()
        narrowed = scope.within_school(session, int(raw_school))
        if narrowed is None:
            raise web.HTTPNotFound()
        return narrowed, {"school": raw_school}
    return scope, {}


def chosen_period(request: web.Request, today: datetime) -> tuple[Period, bool]:
    """The period the query names, else the remembered one, else the current quarter; and whether
    what was asked for could not be read."""
    day = today.date()
    asked = {key: request.query[key] for key in PERIOD_KEYS if key in request.query}
    if not asked:
        remembered = dict(parse_qsl(request.cookies.get(PERIOD_COOKIE, "")))
        try:
            return periods.from_query(remembered, day), False
        except BadPeriod:
            return periods.current_quarter(day), False
    try:
        return periods.from_query(asked, day), False
    except BadPeriod:
        return periods.current_quarter(day), True


def view_of(request: web.Request, engine: Engine, person_id: int, scope: Scope, zone: ZoneInfo) -> View:
    """The page's view (blocking: call it in a thread)."""
    now = utcnow()
    period, refused = chosen_period(request, now.astimezone(zone))
    with Session(engine) as session:
        narrowed, narrowing = _narrowed(session, scope, request.query)
    return View(person_id, scope, narrowed, period, zone, now, narrowing, refused)


def remember_period(request: web.Request, response: web.StreamResponse, view: View) -> None:
    """Keep a period chosen in the query for the pages that follow."""
    if any(key in request.query for key in PERIOD_KEYS) and not view.period_refused:
        response.set_cookie(
            PERIOD_COOKIE,
            urlencode(view.period.query),
            max_age=30 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            path="/dashboard",
        )
