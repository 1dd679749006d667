"""A signed paper application recorded from the dashboard (`/dashboard/pupil/{id}/paper`): the
coordinator or class teacher who holds the paper picks the parent who signed it, consent or
withdrawal, the day of signing (typed dd.mm.yyyy, `monitoring.periods.typed_date`; not in the
future) and a photo of the paper, and saves it.

The browser checks nothing itself (`novalidate`: it would answer in its own language, not the
page's): every field left out or wrong is answered next to it, the rest kept as chosen. A photo sent
with a form refused for another field is kept (`bots.web.unsaved_photo`) and used when the form,
which then says so, is sent again without one, so it need not be chosen again.

The photo goes through the photo pipeline (checked, re-oriented, every metadata block dropped: our
own JPEG, pixels only) and is kept under `applications/`, as the chat's /paper keeps it. The
decision itself is written by `handlers.paper_record`, the one place for both: the audit names who
recorded it and that it was the dashboard; a withdrawal stops the pupil's pending messages; the
parent is told through the outbox. The form is a POST of the dashboard's own pages (form token and
Origin, `bots.web.forms`); a pupil outside the reader's classes or schools is not found. Saving the
same paper twice (a double click) records it once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from bots.posted import posted_form
from bots.web import unsaved_photo
from bots.web.dashboard import Signed, login_required, page
from bots.web.forms import FORM_COOKIE
from bots.web.site import SITE
from bots.web.unsaved_photo import Place
from handlers.family import guardians_of
from handlers.paper_record import Application, record
from models.clock import to_local, utcnow
from models.consent_rules import has_consent
from models.people import Consent, Person
from models.store import session_scope, stored_id
from monitoring import Scope
from monitoring.periods import BadDate, typed_date
from photos.pipeline import Page, PhotoRejected, normalise, store
from settings import Settings

FOLDER = "applications"
KINDS = {"given": True, "withdrawn": False}
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Sheet:
    """What the form shows about the pupil: their parents and whether consent is in force."""

    pupil: Person
    guardians: list[Person]
    consented: bool


def load_sheet(engine: Engine, scope: Scope, pupil_id: int) -> Sheet | None:
    """The pupil's sheet, or None for a pupil outside the reader's classes or schools."""
    with Session(engine) as session:
        pupil = session.get(Person, pupil_id)
        if pupil is None or not scope.sees_pupil(session, pupil_id):
            return None
        return Sheet(pupil, guardians_of(session, pupil_id), has_consent(session, pupil_id))


def load_saved(engine: Engine, pupil_id: int, raw: str) -> tuple[Consent, Person] | None:
    """The decision just saved (for the confirmation), if it is this pupil's."""
    if not raw.isdigit():
        return None
    with Session(engine) as session:
        decision = session.get(Consent, int(raw))
        if decision is None or decision.pupil_id != pupil_id:
            return None
        guardian = session.get(Person, decision.guardian_id)
        return (decision, guardian) if guardian else None


def keep_photo(paper: Page, settings: Settings) -> str:
    """Our own copy of the paper's photo (pixels only): where it is kept."""
    return str(store(paper, settings.media_dir / FOLDER).path)


def save(engine: Engine, settings: Settings, actor: int, pupil_id: int, fields: dict[str, object]) -> int:
    """Record the application; the decision's id."""
    with session_scope(engine) as session:
        pupil = session.get(Person, pupil_id)
        guardian = session.get(Person, int(str(fields["guardian"])))
        if pupil is None or guardian is None:  # the form was checked against this sheet a moment ago
            raise LookupError(f"pupil {pupil_id} or the parent chosen is no longer in the store")
        application = Application(
            pupil,
            guardian,
            bool(fields["given"]),
            date.fromisoformat(str(fields["signed_on"])),
            str(fields["document"]),
        )
        decision, _new = record(
            session, application, recorded_by=actor, zone=settings.zone, where="dashboard"
        )
        return stored_id(decision)


async def sheet_of(request: web.Request, who: Signed) -> Sheet:
    pupil_id = int(request.match_info["pupil_id"])
    sheet = await asyncio.to_thread(load_sheet, request.app[SITE].engine, who[1], pupil_id)
    if sheet is None:
        raise web.HTTPNotFound()
    return sheet


def today(settings: Settings) -> date:
    return to_local(utcnow(), settings.zone).date()


def form_page(request: web.Request, sheet: Sheet, status: int = 200, **context: object) -> web.Response:
    return page(request, "paper.html", status, sheet=sheet, **context)


@routes.get("/dashboard/pupil/{pupil_id:\\d+}/paper")
@login_required
async def paper_form(request: web.Request, who: Signed) -> web.Response:
    sheet = await sheet_of(request, who)
    saved = await asyncio.to_thread(
        load_saved, request.app[SITE].engine, sheet.pupil.id or 0, request.query.get("saved", "")
    )
    return form_page(request, sheet, saved=saved)


@routes.post("/dashboard/pupil/{pupil_id:\\d+}/paper")
@login_required
async def paper_save(request: web.Request, who: Signed) -> web.StreamResponse:
    site = request.app[SITE]
    sheet = await sheet_of(request, who)
    form = await posted_form(request)
    if form is None:
        raise web.HTTPBadRequest()
    chosen = {
        "guardian": str(form.get("guardian", "")),
        "kind": str(form.get("kind", "")),
        "date": str(form.get("signed_on", "")),
    }
    problems = problems_with(sheet, chosen, today(site.settings))
    place = Place(site.settings, request.cookies.get(FORM_COOKIE, ""), who[0], sheet.pupil.id or 0)
    sent = form.get("photo")
    upload = sent if isinstance(sent, web.FileField) and sent.filename else None
    paper, refused = await asyncio.to_thread(photo_of, place, upload, form.get("photo_kept") == "1")
    if refused is not None:
        problems["photo"] = refused
    if problems:
        if paper is not None:
            await asyncio.to_thread(unsaved_photo.keep, place, paper.jpeg)
        context = {"problems": problems, "chosen": chosen, "photo_kept": paper is not None}
        return form_page(request, sheet, 400, **context)
    assert paper is not None  # no problems: a photo was sent or kept
    fields = {
        "guardian": chosen["guardian"],
        "given": KINDS[chosen["kind"]],
        "signed_on": typed_date(chosen["date"]).isoformat(),  # problems_with has read it already
        "document": await asyncio.to_thread(keep_photo, paper, site.settings),
    }
    decision_id = await asyncio.to_thread(
        save, site.engine, site.settings, who[0], sheet.pupil.id or 0, fields
    )
    site.wake_outbox()
    raise web.HTTPSeeOther(f"/dashboard/pupil/{sheet.pupil.id}/paper?saved={decision_id}")


def photo_of(place: Place, upload: web.FileField | None, use_kept: bool) -> tuple[Page | None, str | None]:
    """The form's photo as the pipeline's page, or why there is none (a catalogue key): the file
    chosen now, else the one kept from a refused save when the form says it shows it. A form sent
    without either forgets a kept photo, so a later refusal never offers an old one."""
    settings = place.settings
    unsaved_photo.sweep(settings)
    if upload is not None:
        data = upload.file.read(settings.max_photo_bytes + 1)
    elif use_kept and (kept := unsaved_photo.kept(place)) is not None:
        data = kept
    else:
        unsaved_photo.drop(place)
        return None, "web.paper.photo_missing"
    try:
        return normalise(data, max_bytes=settings.max_photo_bytes, max_pixels=settings.max_photo_pixels), None
    except PhotoRejected as rejected:
        unsaved_photo.drop(place)
        return None, f"web.paper.photo.{rejected.reason}"


def problems_with(sheet: Sheet, chosen: dict[str, str], today_: date) -> dict[str, str]:
    """What is wrong with each of the form's choices (field: catalogue key); empty when nothing."""
    problems: dict[str, str] = {}
    if chosen["guardian"] not in {str(g.id) for g in sheet.guardians}:
        problems["guardian"] = "web.paper.choose_guardian"
    if chosen["kind"] not in KINDS:
        problems["kind"] = "web.paper.choose_kind"
    if not chosen["date"].strip():
        problems["date"] = "web.paper.date_missing"
        return problems
    try:
        signed_on = typed_date(chosen["date"])
    except BadDate:
        problems["date"] = "web.paper.date_invalid"
        return problems
    if signed_on > today_:
        problems["date"] = "web.paper.date_future"
    return problems
