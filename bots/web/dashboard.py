"""The dashboard (`/dashboard`): sign-in, a page per pupil, and the roster upload with its dry run.
The overview and the monitoring tables are `bots.web.overview`; delivery, `bots.web.delivery`;
reports and exports, `bots.web.reports`.

Sign-in is by a one-time code sent through the bot (`bots.web.auth`); each person sees only their
district, schools, classes or groups (`monitoring.Scope`).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import monitoring
from bots.web.auth import CHALLENGE_COOKIE, CODE_TTL, SESSION_COOKIE, SESSION_TTL, Auth
from bots.web.back import safe_back
from bots.web.chart import score_chart
from bots.web.export import cell_text
from bots.web.forms import form_token, guard_forms
from bots.web.i18n import page_language, render
from bots.web.sign_in_limits import EXPIRED, WRONG, Refusal, client_address
from bots.web.site import SITE
from locales import translate
from models.clock import utcnow
from models.enums import Role
from models.people import Membership
from models.school import School
from monitoring.delivery import PostFamily, post_family
from monitoring.figures import Reading
from monitoring.periods import current_quarter
from monitoring.scope import GROUP
from roster import import_roster
from roster.report import ImportReport, RowError

ROSTER_SUFFIXES = (".xlsx", ".csv")
MAX_ROSTER_BYTES = 5 * 1024 * 1024
Signed = tuple[int, monitoring.Scope]
AUTH = web.AppKey("dashboard_auth", Auth)
routes = web.RouteTableDef()


def mount(app: web.Application) -> None:
    """Serve the dashboard on `app`, which holds the process's parts under `SITE`; its forms are
    guarded against other sites (`bots.web.forms`)."""
    app[AUTH] = Auth(app[SITE].engine)
    app.middlewares.append(guard_forms)
    app.add_routes(routes)


def page(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """A dashboard page; its forms carry this browser's form token."""
    return render(request, name, status, form_token=form_token(request), **context)


def signed_in(auth: Auth, session_id: str | None) -> Signed | None:
    person_id = auth.person_of(session_id)
    if person_id is None:
        return None
    scope = auth.scope(person_id)
    return (person_id, scope) if scope is not None else None


def login_required(
    handler: Callable[[web.Request, Signed], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler gets the signed-in person and their scope; anyone else goes to the sign-in page."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        who = await asyncio.to_thread(signed_in, request.app[AUTH], request.cookies.get(SESSION_COOKIE))
        if who is None:
            raise web.HTTPFound("/dashboard/login")
        return await handler(request, who)

    return wrapped


def set_private_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, ttl: timedelta, path: str
) -> None:
    """The sign-in's cookies: out of scripts' reach, not sent from other sites' forms, over https
    only when the public address is https, gone after `ttl`."""
    response.set_cookie(
        name,
        value,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=request.app[SITE].settings.https,
        path=path,
    )


def cells(table: monitoring.Table, lang: str) -> list[list[str]]:
    return [[cell_text(cell, lang) for cell in row] for row in table.rows]


def load_pupil(
    engine: Engine, scope: monitoring.Scope, pupil_id: int, zone: ZoneInfo, language: str
) -> tuple[monitoring.PupilView | None, PostFamily | None]:
    """The pupil's page, and their family's next Kazpost round when the family is on post."""
    with Session(engine) as session:
        view = monitoring.pupil_view(session, scope, pupil_id, zone)
        if view is None:
            return None, None
        now = utcnow()
        reading = Reading(scope, current_quarter(now.astimezone(zone).date()), zone, now, language)
        return view, post_family(session, reading, pupil_id)


def is_coordinator(engine: Engine, person_id: int) -> bool:
    with Session(engine) as session:
        found = session.exec(
            select(Membership.id).where(
                Membership.person_id == person_id, Membership.role == Role.COORDINATOR.value
            )
        ).first()
        return found is not None


def coordinated_schools(engine: Engine, person_id: int) -> frozenset[str]:
    """The codes of the schools this person coordinates: the only ones their uploads may change."""
    with Session(engine) as session:
        codes = session.exec(
            select(School.code)
            .join(Membership, col(Membership.school_id) == col(School.id))
            .where(Membership.person_id == person_id, Membership.role == Role.COORDINATOR.value)
        ).all()
        return frozenset(codes)


def run_import(
    engine: Engine,
    invite_ttl: timedelta,
    data: bytes,
    suffix: str,
    dry_run: bool,
    schools: frozenset[str],
    actor_id: int,
) -> ImportReport:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"roster{suffix}"
        path.write_bytes(data)
        return import_roster(
            engine, path, dry_run=dry_run, invite_ttl=invite_ttl, only_schools=schools, actor_id=actor_id
        )


@routes.get("/dashboard/login")
async def login_page(request: web.Request) -> web.Response:
    return page(request, "login.html", step="who")


def client_of(request: web.Request) -> str:
    """The address the sign-in limits count this request against."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    return client_address(request.remote, forwarded, request.app[SITE].settings.proxies)


def refused(request: web.Request, step: str, refusal: Refusal) -> web.Response:
    """The sign-in page again, saying why and for how long; 429 when waiting is the answer."""
    status = 403 if refusal.reason in (WRONG, EXPIRED) else 429
    return page(request, "login.html", step=step, refusal=refusal.text(), status=status)


@routes.post("/dashboard/login")
async def send_code(request: web.Request) -> web.Response:
    form = await request.post()
    who = str(form.get("who", ""))[:60]
    token = await asyncio.to_thread(request.app[AUTH].request_code, who, client_of(request))
    if isinstance(token, Refusal):
        return refused(request, "who", token)
    request.app[SITE].wake_outbox()
    response = page(request, "login.html", step="code")
    set_private_cookie(request, response, CHALLENGE_COOKIE, token, CODE_TTL, "/dashboard")
    return response


@routes.post("/dashboard/verify")
async def verify(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = request.cookies.get(CHALLENGE_COOKIE, "")
    code = str(form.get("code", ""))[:12]
    session_id = await asyncio.to_thread(request.app[AUTH].verify, token, code, client_of(request))
    if isinstance(session_id, Refusal):
        return refused(request, "code", session_id)
    response = web.HTTPFound("/dashboard")
    set_private_cookie(request, response, SESSION_COOKIE, session_id, SESSION_TTL, "/")
    response.del_cookie(CHALLENGE_COOKIE, path="/dashboard")
    raise response


@routes.post("/dashboard/logout")
async def sign_out(request: web.Request) -> web.StreamResponse:
    await asyncio.to_thread(request.app[AUTH].sign_out, request.cookies.get(SESSION_COOKIE))
    response = web.HTTPFound("/dashboard/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/dashboard/pupil/{pupil_id:\\d+}")
@login_required
async def pupil(request: web.Request, who: Signed) -> web.Response:
    site = request.app[SITE]
    pupil_id = int(request.match_info["pupil_id"])
    lang = page_language(request)
    view, post = await asyncio.to_thread(load_pupil, site.engine, who[1], pupil_id, site.settings.zone, lang)
    if view is None:
        raise web.HTTPNotFound()
    labels = {subject: translate(lang, f"subject.{subject}") for subject in view.series}
    chart = score_chart(view.series, labels, translate(lang, "web.pupil.chart"))
    return page(
        request,
        "pupil.html",
        view=view,
        post=post,
        delivery=who[1].level != GROUP,  # a tutor's dashboard has no delivery page
        back=safe_back(request.query.get("back")),
        parts=[
            (view.attendance, cells(view.attendance, lang)),
            (view.submissions, cells(view.submissions, lang)),
            (view.growth, cells(view.growth, lang)),
        ],
        chart=Markup(chart),
    )


@routes.get("/dashboard/roster")
@login_required
async def roster_page(request: web.Request, who: Signed) -> web.Response:
    if not await asyncio.to_thread(is_coordinator, request.app[SITE].engine, who[0]):
        raise web.HTTPForbidden()
    return page(request, "roster.html", report=None)


@routes.post("/dashboard/roster")
@login_required
async def roster_upload(request: web.Request, who: Signed) -> web.Response:
    site = request.app[SITE]
    schools = await asyncio.to_thread(coordinated_schools, site.engine, who[0])
    if not schools:
        raise web.HTTPForbidden()
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return page(request, "roster.html", report=None, problem="web.roster.choose", status=400)
    suffix = Path(upload.filename or "").suffix.lower()
    data = upload.file.read(MAX_ROSTER_BYTES + 1)
    if suffix not in ROSTER_SUFFIXES or len(data) > MAX_ROSTER_BYTES:
        return page(request, "roster.html", report=None, problem="web.roster.bad_file", status=400)
    dry_run = form.get("apply") != "1"
    invite_ttl = timedelta(days=site.settings.invite_ttl_days)
    report = await asyncio.to_thread(
        run_import, site.engine, invite_ttl, data, suffix, dry_run, schools, who[0]
    )
    await asyncio.to_thread(
        request.app[AUTH].audit,
        who[0],
        "dashboard.roster_upload",
        dry_run=dry_run,
        ok=report.ok,
        errors=len(report.errors),
    )
    if not dry_run and report.ok:
        site.wake_outbox()
    lang = page_language(request)
    errors = [_row_cells(error, lang) for error in report.errors]
    notes = [_row_cells(note, lang) for note in report.notes]
    changes = [(kind, counts) for kind, counts in sorted(report.changes.items())]
    return page(
        request,
        "roster.html",
        report=report,
        errors=errors,
        notes=notes,
        changes=changes,
        invites=report.invites,
    )


def _row_cells(error: RowError, lang: str) -> list[str]:
    """Sheet, row, column and reason, in the reader's language."""
    return [error.sheet, str(error.row) if error.row else "", error.field, error.reason.render(lang)]
