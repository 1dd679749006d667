"""A signed paper application recorded as the parent's decision (/paper): the programme runs on
parents' written applications, and the families without a messenger are exactly those who cannot
consent in chat.

A coordinator (their schools' pupils) or a class teacher (their classes') types part of the pupil's
name → picks the pupil and the parent who signed → consent or withdrawal → the day it was signed
(not in the future) → a photo of the paper (kept as our own copy, like a homework page) → confirms.
The decision is written by `handlers.paper_record` (the dashboard's form writes it there too): a
`Consent` row on channel "paper", dated the day of signing, naming who recorded it and the photo;
the audit says who recorded what. A withdrawal stops every message to and about the pupil, as one
given in chat does. The parent is told through the outbox, where they can be.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from handlers import conversation
from handlers.attachments import store_attachment
from handlers.context import Turn
from handlers.dates import parse_day
from handlers.family import guardians_of
from handlers.paper_record import Application, record
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T
from models.clock import to_local
from models.consent_rules import has_consent
from models.enums import Role
from models.people import Membership, Person

PREFIX = "pa:"
FLOW = "paper"
MAX_MATCHES = 8


def start(turn: Turn) -> list[Reply]:
    conversation.enter(turn, FLOW, "pupil")
    return [Reply(T("paper.ask_pupil"))]


def _pupils_in_reach(turn: Turn) -> Any:
    """The pupils of the classes this person leads and of the schools they coordinate."""
    mine = turn.session.exec(select(Membership).where(Membership.person_id == turn.person_id())).all()
    classes = [m.class_id for m in mine if m.role == Role.CLASS_TEACHER and m.class_id is not None]
    schools = [m.school_id for m in mine if m.role == Role.COORDINATOR]
    return select(Membership.person_id).where(
        Membership.role == Role.PUPIL,
        col(Membership.class_id).in_(classes) | col(Membership.school_id).in_(schools),
    )


def _pupil(turn: Turn, raw_id: object) -> Person | None:
    if not str(raw_id).isdigit():
        return None
    return turn.session.exec(
        select(Person).where(Person.id == int(str(raw_id)), col(Person.id).in_(_pupils_in_reach(turn)))
    ).first()


def on_text(turn: Turn) -> list[Reply]:
    state = conversation.load(turn)
    if conversation.is_stale(turn, state.updated_at):
        conversation.clear(turn)
        return [Reply(T("paper.expired"))]
    data = {k: v for k, v in state.data.items() if k != "offered"}
    text = turn.inbound.text.strip()
    if state.step == "pupil":
        return _find(turn, text)
    if state.step == "date":
        return _date(turn, data, text)
    if state.step == "photo":
        return _photo(turn, data)
    return [Reply(T("paper.use_buttons"))]


def _find(turn: Turn, text: str) -> list[Reply]:
    wanted = text.casefold()
    if len(wanted) < 2:
        return [Reply(T("paper.ask_pupil"))]
    pupils = turn.session.exec(
        select(Person).where(col(Person.id).in_(_pupils_in_reach(turn))).order_by(col(Person.full_name))
    ).all()
    found = [p for p in pupils if wanted in p.full_name.casefold()]
    if not found:
        return [Reply(T("paper.no_pupil", text=text))]
    if len(found) > MAX_MATCHES:
        return [Reply(T("paper.too_many", count=len(found)))]
    return [
        Reply(
            T("paper.which_pupil"),
            choices=tuple(
                Choice(f"{PREFIX}pupil:{p.id}", T("paper.choice.person", name=p.full_name)) for p in found
            ),
        )
    ]


def on_choice(turn: Turn) -> list[Reply]:
    action, _, argument = (turn.inbound.choice or "").removeprefix(PREFIX).partition(":")
    state = conversation.load(turn)
    if state.flow != FLOW:
        return [Reply(T("paper.expired"))]
    data = {k: v for k, v in state.data.items() if k != "offered"}
    if action == "pupil":
        pupil = _pupil(turn, argument)
        return _pupil_chosen(turn, pupil) if pupil else not_allowed()
    pupil = _pupil(turn, data.get("pupil_id"))
    if pupil is None:
        conversation.clear(turn)
        return not_allowed()
    if action == "guardian":
        guardian = next((g for g in guardians_of(turn.session, pupil.id or 0) if str(g.id) == argument), None)
        return _ask_kind(turn, pupil, guardian, data) if guardian else not_allowed()
    if action == "kind" and argument in ("given", "withdrawn") and state.step == "kind":
        data["given"] = argument == "given"
        conversation.enter(turn, FLOW, "date", **data)
        return [Reply(T("paper.ask_date"))]
    if action == "save" and state.step == "confirm":
        return _save(turn, pupil, data)
    return [Reply(T("paper.use_buttons"))]


def _pupil_chosen(turn: Turn, pupil: Person) -> list[Reply]:
    guardians = guardians_of(turn.session, pupil.id or 0)
    data: dict[str, Any] = {"pupil_id": pupil.id}
    if not guardians:
        conversation.clear(turn)
        return [Reply(T("paper.no_guardian", pupil=pupil.full_name))]
    if len(guardians) == 1:
        return _ask_kind(turn, pupil, guardians[0], data)
    conversation.enter(turn, FLOW, "guardian", **data)
    return [
        Reply(
            T("paper.which_guardian", pupil=pupil.full_name),
            choices=tuple(
                Choice(f"{PREFIX}guardian:{g.id}", T("paper.choice.person", name=g.full_name))
                for g in guardians
            ),
        )
    ]


def _ask_kind(turn: Turn, pupil: Person, guardian: Person, data: dict[str, Any]) -> list[Reply]:
    data["guardian_id"] = guardian.id
    conversation.enter(turn, FLOW, "kind", **data)
    now = T("paper.now_given") if has_consent(turn.session, pupil.id or 0) else T("paper.now_missing")
    return [
        Reply(
            T("paper.ask_kind", pupil=pupil.full_name, guardian=guardian.full_name, now=now),
            choices=(
                Choice(f"{PREFIX}kind:given", T("paper.choice.given")),
                Choice(f"{PREFIX}kind:withdrawn", T("paper.choice.withdrawn")),
            ),
        )
    ]


def _date(turn: Turn, data: dict[str, Any], text: str) -> list[Reply]:
    today = to_local(turn.now, turn.config.time_zone).date()
    day = parse_day(text, today)
    if day is None:
        return [Reply(T("paper.date_invalid"))]
    if day > today:
        return [Reply(T("paper.date_future"))]
    data["signed_on"] = day.isoformat()
    conversation.enter(turn, FLOW, "photo", **data)
    return [Reply(T("paper.ask_photo"))]


def _photo(turn: Turn, data: dict[str, Any]) -> list[Reply]:
    if not turn.inbound.uploads:
        return [Reply(T("paper.ask_photo"))]
    path, refused = store_attachment(turn, turn.inbound.uploads[0], "applications")
    if path is None:
        return refused
    data["document"] = path
    conversation.enter(turn, FLOW, "confirm", **data)
    pupil, guardian = (
        turn.session.get(Person, data["pupil_id"]),
        turn.session.get(Person, data["guardian_id"]),
    )
    return [
        Reply(
            T(
                "paper.summary",
                kind=T("paper.choice.given") if data["given"] else T("paper.choice.withdrawn"),
                pupil=pupil.full_name if pupil else "",
                guardian=guardian.full_name if guardian else "",
                date=datetime.fromisoformat(data["signed_on"]).strftime("%d.%m.%Y"),
            ),
            media_path=path,
            choices=(Choice(f"{PREFIX}save", T("paper.choice.save")),),
        )
    ]


def _save(turn: Turn, pupil: Person, data: dict[str, Any]) -> list[Reply]:
    guardian = next(
        (g for g in guardians_of(turn.session, pupil.id or 0) if g.id == data.get("guardian_id")), None
    )
    if guardian is None or guardian.id is None or pupil.id is None:
        conversation.clear(turn)
        return not_allowed()
    signed = datetime.fromisoformat(data["signed_on"]).date()
    application = Application(pupil, guardian, bool(data["given"]), signed, str(data["document"]))
    record(turn.session, application, recorded_by=turn.person_id(), zone=turn.config.time_zone, where="chat")
    conversation.clear(turn)
    done = "paper.saved_given" if application.given else "paper.saved_withdrawn"
    return [
        Reply(T(done, pupil=pupil.full_name, guardian=guardian.full_name, date=signed.strftime("%d.%m.%Y")))
    ]
