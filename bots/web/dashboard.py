"""The dashboard (`/dashboard`): monitoring tables for the coordinator and the class teacher, a page
per pupil, exports to XLSX and CSV, and the roster upload with its dry run.

Sign-in is by a one-time code sent through the bot (`bots.web.auth`); each person sees only their
schools or classes (`handlers.monitoring.Scope`).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.auth import CHALLENGE_COOKIE, CODE_TTL, SESSION_COOKIE, SESSION_TTL, Auth
from bots.web.chart import score_chart
from bots.web.export import cell_text, file_name, to_csv, to_xlsx
from bots.web.i18n import page_language, render
from handlers import monitoring
from handlers.roster import import_roster
from handlers.roster.report import ImportReport
from locales import translate
from models.clock import to_local, utcnow
from models.enums import Role
from models.people import Membership
from models.school import School
from models.settings import Settings

ROSTER_SUFFIXES = (".xlsx", ".csv")
MAX_ROSTER_BYTES = 5 * 1024 * 1024
Signed = tuple[int, monitoring.Scope]


def mount(app: web.Application, engine: Engine, settings: Settings, wake_outbox: Callable[[], None]) -> None:
    auth = Auth(engine)

    def signed_in(request: web.Request) -> Signed | None:
        person_id = auth.person_of(request.cookies.get(SESSION_COOKIE))
        if person_id is None:
            return None
        scope = auth.scope(person_id)
        return (person_id, scope) if scope is not None else None

    def login_required(
        handler: Callable[[web.Request, Signed], Awaitable[web.StreamResponse]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            who = await asyncio.to_thread(signed_in, request)
            if who is None:
                raise web.HTTPFound("/dashboard/login")
            return await handler(request, who)

        return wrapped

    def cells(table: monitoring.Table, lang: str) -> list[list[str]]:
        return [[cell_text(cell, lang) for cell in row] for row in table.rows]

    async def login_page(request: web.Request) -> web.Response:
        return render(request, "login.html", step="who")

    async def send_code(request: web.Request) -> web.Response:
        form = await request.post()
        token = await asyncio.to_thread(auth.request_code, str(form.get("who", ""))[:60])
        wake_outbox()
        response = render(request, "login.html", step="code")
        response.set_cookie(
            CHALLENGE_COOKIE,
            token,
            max_age=int(CODE_TTL.total_seconds()),
            httponly=True,
            samesite="Lax",
            path="/dashboard",
        )
        return response

    async def verify(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = request.cookies.get(CHALLENGE_COOKIE, "")
        session_id = await asyncio.to_thread(auth.verify, token, str(form.get("code", ""))[:12])
        if session_id is None:
            return render(request, "login.html", step="code", error=True, status=403)
        response = web.HTTPFound("/dashboard")
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="Lax",
            path="/",
        )
        response.del_cookie(CHALLENGE_COOKIE, path="/dashboard")
        raise response

    async def sign_out(request: web.Request) -> web.StreamResponse:
        await asyncio.to_thread(auth.sign_out, request.cookies.get(SESSION_COOKIE))
        response = web.HTTPFound("/dashboard/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        raise response

    def load_table(scope: monitoring.Scope, name: str, lang: str) -> monitoring.Table:
        with Session(engine) as session:
            return monitoring.table(session, scope, name, language=lang)

    async def overview(request: web.Request, who: Signed) -> web.Response:
        name = request.query.get("table", monitoring.TABLES[0])
        if name not in monitoring.TABLES:
            raise web.HTTPNotFound()
        lang = page_language(request)
        table = await asyncio.to_thread(load_table, who[1], name, lang)
        return render(
            request,
            "dashboard.html",
            tables=monitoring.TABLES,
            current=name,
            table=table,
            rows=cells(table, lang),
            coordinator=await asyncio.to_thread(is_coordinator, who[0]),
        )

    async def export(request: web.Request, who: Signed) -> web.Response:
        name, kind = request.match_info["name"], request.match_info["kind"]
        if name not in monitoring.TABLES:
            raise web.HTTPNotFound()
        lang = page_language(request)
        table = await asyncio.to_thread(load_table, who[1], name, lang)
        await asyncio.to_thread(auth.audit, who[0], "dashboard.export", table=name, format=kind)
        if kind == "xlsx":
            body = await asyncio.to_thread(to_xlsx, table, lang)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, content_type = to_csv(table, lang), "text/csv"
        today = to_local(utcnow(), settings.zone).date()
        return web.Response(
            body=body,
            content_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{file_name(table, kind, today)}"'},
        )

    def load_pupil(scope: monitoring.Scope, pupil_id: int) -> monitoring.PupilView | None:
        with Session(engine) as session:
            return monitoring.pupil_view(session, scope, pupil_id, settings.zone)

    async def pupil(request: web.Request, who: Signed) -> web.Response:
        view = await asyncio.to_thread(load_pupil, who[1], int(request.match_info["pupil_id"]))
        if view is None:
            raise web.HTTPNotFound()
        lang = page_language(request)
        labels = {subject: translate(lang, f"subject.{subject}") for subject in view.series}
        chart = score_chart(view.series, labels, translate(lang, "web.pupil.chart"))
        return render(
            request,
            "pupil.html",
            view=view,
            parts=[
                (view.attendance, cells(view.attendance, lang)),
                (view.submissions, cells(view.submissions, lang)),
                (view.growth, cells(view.growth, lang)),
            ],
            chart=Markup(chart),
        )

    def is_coordinator(person_id: int) -> bool:
        with Session(engine) as session:
            found = session.exec(
                select(Membership.id).where(
                    Membership.person_id == person_id, Membership.role == Role.COORDINATOR.value
                )
            ).first()
            return found is not None

    def coordinated_schools(person_id: int) -> frozenset[str]:
        """The codes of the schools this person coordinates: the only ones their uploads may change."""
        with Session(engine) as session:
            codes = session.exec(
                select(School.code)
                .join(Membership, col(Membership.school_id) == col(School.id))
                .where(Membership.person_id == person_id, Membership.role == Role.COORDINATOR.value)
            ).all()
            return frozenset(codes)

    async def roster_page(request: web.Request, who: Signed) -> web.Response:
        if not await asyncio.to_thread(is_coordinator, who[0]):
            raise web.HTTPForbidden()
        return render(request, "roster.html", report=None)

    def run_import(data: bytes, suffix: str, dry_run: bool, schools: frozenset[str]) -> ImportReport:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"roster{suffix}"
            path.write_bytes(data)
            return import_roster(
                engine,
                path,
                dry_run=dry_run,
                invite_ttl=timedelta(days=settings.invite_ttl_days),
                only_schools=schools,
            )

    async def roster_upload(request: web.Request, who: Signed) -> web.Response:
        schools = await asyncio.to_thread(coordinated_schools, who[0])
        if not schools:
            raise web.HTTPForbidden()
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return render(request, "roster.html", report=None, problem="web.roster.choose", status=400)
        suffix = Path(upload.filename or "").suffix.lower()
        data = upload.file.read(MAX_ROSTER_BYTES + 1)
        if suffix not in ROSTER_SUFFIXES or len(data) > MAX_ROSTER_BYTES:
            return render(request, "roster.html", report=None, problem="web.roster.bad_file", status=400)
        dry_run = form.get("apply") != "1"
        report = await asyncio.to_thread(run_import, data, suffix, dry_run, schools)
        await asyncio.to_thread(
            auth.audit,
            who[0],
            "dashboard.roster_upload",
            dry_run=dry_run,
            ok=report.ok,
            errors=len(report.errors),
        )
        if not dry_run and report.ok:
            wake_outbox()
        lang = page_language(request)
        errors = [
            [e.sheet, str(e.row) if e.row else "", e.field, e.reason.render(lang)] for e in report.errors
        ]
        changes = [(kind, counts) for kind, counts in sorted(report.changes.items())]
        return render(request, "roster.html", report=report, errors=errors, changes=changes)

    app.router.add_get("/dashboard/login", login_page)
    app.router.add_post("/dashboard/login", send_code)
    app.router.add_post("/dashboard/verify", verify)
    app.router.add_post("/dashboard/logout", sign_out)
    app.router.add_get("/dashboard", login_required(overview))
    app.router.add_get("/dashboard/export/{name}.{kind:xlsx|csv}", login_required(export))
    app.router.add_get("/dashboard/pupil/{pupil_id:\\d+}", login_required(pupil))
    app.router.add_get("/dashboard/roster", login_required(roster_page))
    app.router.add_post("/dashboard/roster", login_required(roster_upload))
