"""The sandbox page (`/`): the sample school's people by role; choosing one opens a phone-like chat
with the real bot through the Telegram emulator's control API, as that person.

A person is joined the way a real one would be: `/start <their invite code>`, or, once the code is
spent elsewhere, by sharing the phone number the roster holds. Each class gets a group chat in the
emulator, linked to the class when the class has none yet, so its messages can be watched. The clock
control moves the scheduler's and the outbox's time forward and derives what the skipped span holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web import SandboxLink
from bots.web.i18n import render
from bots.web.sandbox_whatsapp import MEDIA_PREFIX, TwilioControl
from bots.web.sandbox_whatsapp import routes as whatsapp_routes
from models.enums import Channel, Role
from models.people import ChannelIdentity, Guardianship, Invite, Membership, Person
from models.school import SchoolClass
from models.store import session_scope
from scheduler.app import derive_once
from settings import Settings

log = logging.getLogger("ustaz.web.sandbox")

USER_BASE = 880_000_000  # emulator user id = USER_BASE + person id
GROUP_BASE = -1_000_000_000_000  # emulator group id = GROUP_BASE - class id
ROLE_ORDER = (Role.PUPIL, Role.GUARDIAN, Role.TUTOR, Role.ASSISTANT, Role.CLASS_TEACHER, Role.COORDINATOR)
CLOCK_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MAX_PHOTO_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Someone:
    id: int
    name: str
    locale: str
    classes: tuple[str, ...]


@dataclass(frozen=True)
class JoinInfo:
    name: str
    locale: str
    joined: bool
    invite: str | None
    phone: str | None
    class_chats: tuple[int, ...]


def people_by_role(engine: Engine) -> dict[str, list[Someone]]:
    with Session(engine) as session:
        classes = {c.id: c.name for c in session.exec(select(SchoolClass)).all()}
        rows = session.exec(
            select(Membership, Person)
            .where(col(Membership.person_id) == col(Person.id))
            .order_by(col(Person.full_name))
        ).all()
    grouped: dict[str, dict[int, Someone]] = {role.value: {} for role in ROLE_ORDER}
    for membership, person in rows:
        assert person.id is not None
        bucket = grouped.setdefault(membership.role, {})
        known = bucket.get(person.id)
        names = known.classes if known else ()
        if membership.class_id in classes and classes[membership.class_id] not in names:
            names = (*names, classes[membership.class_id])
        bucket[person.id] = Someone(person.id, person.full_name, person.locale, names)
    return {role: list(people.values()) for role, people in grouped.items() if people}


def class_chats(engine: Engine) -> list[tuple[int, str]]:
    """(emulator group id, class name) for every class; links a class that has no chat yet."""
    with session_scope(engine) as session:
        found = []
        for school_class in session.exec(select(SchoolClass).order_by(col(SchoolClass.name))).all():
            assert school_class.id is not None
            if school_class.telegram_chat_id is None:
                school_class.telegram_chat_id = GROUP_BASE - school_class.id
            found.append((school_class.telegram_chat_id, school_class.name))
        return found


def join_info(engine: Engine, person_id: int) -> JoinInfo:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        if person is None:
            raise KeyError(person_id)
        joined = session.exec(
            select(ChannelIdentity.id).where(
                ChannelIdentity.person_id == person_id,
                ChannelIdentity.channel == Channel.TELEGRAM.value,
                ChannelIdentity.address == str(USER_BASE + person_id),
            )
        ).first()
        invite = session.exec(
            select(Invite.code)
            .where(Invite.person_id == person_id, col(Invite.used_at).is_(None))
            .order_by(col(Invite.id).desc())
        ).first()
        pupils = set(session.exec(select(Guardianship.pupil_id).where(Guardianship.guardian_id == person_id)))
        class_ids = set(
            session.exec(
                select(Membership.class_id).where(
                    col(Membership.person_id).in_({person_id, *pupils}), col(Membership.class_id).is_not(None)
                )
            )
        )
        chats = session.exec(
            select(SchoolClass.telegram_chat_id).where(
                col(SchoolClass.id).in_(class_ids), col(SchoolClass.telegram_chat_id).is_not(None)
            )
        ).all()
        return JoinInfo(
            name=person.full_name,
            locale=person.locale,
            joined=joined is not None,
            invite=invite,
            phone=person.phone,
            class_chats=tuple(int(c) for c in chats if c is not None),
        )


class Emulator:
    """A small client of the Telegram emulator's control API."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/_emulator"
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.http.request(method, self.base + path, **kwargs) as response:
            body = await response.json()
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str(body.get("error", "emulator error")))
            return body

    async def file(self, file_id: str) -> tuple[bytes, str]:
        async with self.http.get(f"{self.base}/files/{file_id}") as response:
            if response.status != 200:
                raise web.HTTPNotFound()
            return await response.read(), response.content_type


def mount(
    app: web.Application,
    engine: Engine,
    settings: Settings,
    wake_outbox: Callable[[], None],
    link: SandboxLink,
) -> None:
    emulator = Emulator(link.emulator_url)
    users: set[int] = set()
    groups: dict[int, str] = {}

    async def close(_app: web.Application) -> None:
        await emulator.close()

    app.on_cleanup.append(close)
    twilio = TwilioControl(link.twilio_url, lambda: emulator.http) if link.twilio_url else None

    async def ensure_groups() -> dict[int, str]:
        if not groups:
            for chat_id, title in await asyncio.to_thread(class_chats, engine):
                await emulator.call("POST", "/groups", json={"id": chat_id, "title": title, "members": []})
                groups[chat_id] = title
        return groups

    async def page(request: web.Request) -> web.Response:
        chats = await ensure_groups()
        people = await asyncio.to_thread(people_by_role, engine)
        return render(
            request,
            "sandbox.html",
            people=people,
            chats=sorted(chats.items(), key=lambda item: item[1]),
            now=link.clock().astimezone(settings.zone),
        )

    async def open_person(request: web.Request) -> web.Response:
        body = await request.json()
        person_id = int(body["person_id"])
        try:
            info = await asyncio.to_thread(join_info, engine, person_id)
        except KeyError:
            raise web.HTTPNotFound() from None
        await ensure_groups()
        user_id = USER_BASE + person_id
        if user_id not in users:
            first = info.name.split()[1] if len(info.name.split()) > 1 else info.name
            await emulator.call(
                "POST", "/users", json={"id": user_id, "first_name": first, "language_code": info.locale}
            )
            users.add(user_id)
        for chat_id in info.class_chats:
            if chat_id in groups:
                await emulator.call("POST", f"/groups/{chat_id}/members", json={"user_id": user_id})
        if not info.joined:
            if info.invite:
                await emulator.call("POST", f"/users/{user_id}/text", json={"text": f"/start {info.invite}"})
            elif info.phone:
                await emulator.call("POST", f"/users/{user_id}/contact", json={"phone_number": info.phone})
        log.info("sandbox: person %s opened as user %s", person_id, user_id)
        return web.json_response(
            {
                "user_id": user_id,
                "groups": list(info.class_chats),
                "whatsapp": bool(twilio is not None and info.phone),
            }
        )

    def user_of(body: Any) -> int:
        user_id = int(body["user_id"])
        if user_id not in users:
            raise web.HTTPBadRequest(text="open the person first")
        return user_id

    async def messages(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        body = await emulator.call("GET", f"/chats/{chat_id}/messages", params={"all": "1"})
        return web.json_response(body)

    async def text(request: web.Request) -> web.Response:
        body = await request.json()
        payload: dict[str, Any] = {"text": str(body["text"])[:4096]}
        if body.get("chat_id"):
            payload["chat_id"] = int(body["chat_id"])
        return web.json_response(await emulator.call("POST", f"/users/{user_of(body)}/text", json=payload))

    async def press(request: web.Request) -> web.Response:
        body = await request.json()
        payload = {"message_id": int(body["message_id"]), "callback_data": str(body["data"])}
        return web.json_response(await emulator.call("POST", f"/users/{user_of(body)}/press", json=payload))

    async def contact(request: web.Request) -> web.Response:
        body = await request.json()
        user_id = user_of(body)
        info = await asyncio.to_thread(join_info, engine, user_id - USER_BASE)
        if not info.phone:
            raise web.HTTPBadRequest(text="no phone in the roster")
        payload = {"phone_number": info.phone}
        return web.json_response(await emulator.call("POST", f"/users/{user_id}/contact", json=payload))

    async def photo(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="choose a photo")
        data = upload.file.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_PHOTO_BYTES, actual_size=len(data))
        user_id = user_of(form)
        sent = aiohttp.FormData()
        sent.add_field("file", data, filename=upload.filename or "photo.jpg", content_type="image/jpeg")
        return web.json_response(await emulator.call("POST", f"/users/{user_id}/photo", data=sent))

    async def file(request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id.startswith(MEDIA_PREFIX) and twilio is not None:
            data, content_type = await twilio.media(file_id.removeprefix(MEDIA_PREFIX))
        else:
            data, content_type = await emulator.file(file_id)
        return web.Response(body=data, content_type=content_type)

    async def clock(request: web.Request) -> web.Response:
        body = await request.json()
        step = CLOCK_STEPS.get(str(body.get("step")))
        if step is None:
            raise web.HTTPBadRequest(text="step is 'hour' or 'day'")
        now = link.clock.advance(step)
        # Derive everything the skipped span held, then let the outbox deliver it.
        derived = await asyncio.to_thread(
            derive_once, engine, settings, clock=link.clock, catch_up=step + timedelta(minutes=30)
        )
        wake_outbox()
        log.info("sandbox: clock moved %s; %d notifications offered", step, derived)
        local = now.astimezone(settings.zone)
        return web.json_response({"now": local.strftime("%Y-%m-%d %H:%M"), "derived": derived})

    app.router.add_get("/", page)
    app.router.add_post("/sandbox/open", open_person)
    app.router.add_get("/sandbox/chats/{chat_id}", messages)
    app.router.add_post("/sandbox/text", text)
    app.router.add_post("/sandbox/press", press)
    app.router.add_post("/sandbox/contact", contact)
    app.router.add_post("/sandbox/photo", photo)
    app.router.add_get("/sandbox/files/{file_id}", file)
    app.router.add_post("/sandbox/clock", clock)
    if twilio is not None:
        app.router.add_routes(whatsapp_routes(engine, twilio, USER_BASE, MAX_PHOTO_BYTES))
