"""The sandbox page's routes: the page, a person opened in the Telegram emulator (joined with
`/start <their invite code>`, or, once the code is spent elsewhere, by sharing the roster's phone),
what they write, tap or attach, the chats' messages and files, and the clock moved forward."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from bots.web.i18n import render
from bots.web.site import SITE
from sandbox.page.people import USER_BASE, class_chats, join_info, people_by_role
from sandbox.page.state import PAGE, SandboxPage
from sandbox.page.uploads import read_photo
from sandbox.page.whatsapp import MEDIA_PREFIX
from scheduler.app import derive_once

log = logging.getLogger("ustaz.web.sandbox")

TEMPLATES = Path(__file__).resolve().parent / "templates"
CLOCK_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
routes = web.RouteTableDef()


async def ensure_groups(page: SandboxPage, engine: Engine) -> dict[int, str]:
    """Each class's group chat in the emulator, made on the first visit (linking classes that have
    no chat yet), so the class's messages can be watched."""
    if not page.groups:
        for chat_id, title in await asyncio.to_thread(class_chats, engine):
            await page.telegram.call("POST", "/groups", json={"id": chat_id, "title": title, "members": []})
            page.groups[chat_id] = title
    return page.groups


@routes.get("/")
async def sandbox_page(request: web.Request) -> web.Response:
    site, page = request.app[SITE], request.app[PAGE]
    chats = await ensure_groups(page, site.engine)
    people = await asyncio.to_thread(people_by_role, site.engine)
    return render(
        request,
        "sandbox.html",
        folders=(TEMPLATES,),
        people=people,
        chats=sorted(chats.items(), key=lambda item: item[1]),
        now=page.clock().astimezone(site.settings.zone),
    )


@routes.post("/sandbox/open")
async def open_person(request: web.Request) -> web.Response:
    site, page = request.app[SITE], request.app[PAGE]
    body = await request.json()
    person_id = int(body["person_id"])
    try:
        info = await asyncio.to_thread(join_info, site.engine, person_id)
    except KeyError:
        raise web.HTTPNotFound() from None
    await ensure_groups(page, site.engine)
    user_id = USER_BASE + person_id
    if user_id not in page.users:
        first = info.name.split()[1] if len(info.name.split()) > 1 else info.name
        await page.telegram.call(
            "POST", "/users", json={"id": user_id, "first_name": first, "language_code": info.locale}
        )
        page.users.add(user_id)
    for chat_id in info.class_chats:
        if chat_id in page.groups:
            await page.telegram.call("POST", f"/groups/{chat_id}/members", json={"user_id": user_id})
    if not info.joined:
        if info.invite:
            await page.telegram.act(user_id, "text", json={"text": f"/start {info.invite}"})
        elif info.phone:
            await page.telegram.act(user_id, "contact", json={"phone_number": info.phone})
    log.info("sandbox: person %s opened as user %s", person_id, user_id)
    return web.json_response(
        {
            "user_id": user_id,
            "groups": list(info.class_chats),
            "whatsapp": bool(page.twilio is not None and info.phone),
        }
    )


@routes.get("/sandbox/chats/{chat_id}")
async def messages(request: web.Request) -> web.Response:
    chat_id = int(request.match_info["chat_id"])
    body = await request.app[PAGE].telegram.call("GET", f"/chats/{chat_id}/messages", params={"all": "1"})
    return web.json_response(body)


@routes.post("/sandbox/text")
async def text(request: web.Request) -> web.Response:
    page = request.app[PAGE]
    body = await request.json()
    payload: dict[str, Any] = {"text": str(body["text"])[:4096]}
    if body.get("chat_id"):
        payload["chat_id"] = int(body["chat_id"])
    if body.get("reply_to"):  # a reply to one of the bot's messages, as Telegram's "Reply" sends it
        payload["reply_to"] = int(body["reply_to"])
    return web.json_response(await page.telegram.act(page.user_of(body), "text", json=payload))


@routes.post("/sandbox/press")
async def press(request: web.Request) -> web.Response:
    page = request.app[PAGE]
    body = await request.json()
    payload = {"message_id": int(body["message_id"]), "callback_data": str(body["data"])}
    return web.json_response(await page.telegram.act(page.user_of(body), "press", json=payload))


@routes.post("/sandbox/contact")
async def contact(request: web.Request) -> web.Response:
    page = request.app[PAGE]
    body = await request.json()
    user_id = page.user_of(body)
    info = await asyncio.to_thread(join_info, request.app[SITE].engine, user_id - USER_BASE)
    if not info.phone:
        raise web.HTTPBadRequest(text="no phone in the roster")
    payload = {"phone_number": info.phone}
    return web.json_response(await page.telegram.act(user_id, "contact", json=payload))


@routes.post("/sandbox/photo")
async def photo(request: web.Request) -> web.Response:
    page = request.app[PAGE]
    form = await request.post()
    data, upload = read_photo(form)
    user_id = page.user_of(form)
    sent = aiohttp.FormData()
    sent.add_field("file", data, filename=upload.filename or "photo.jpg", content_type="image/jpeg")
    return web.json_response(await page.telegram.act(user_id, "photo", data=sent))


@routes.get("/sandbox/files/{file_id}")
async def file(request: web.Request) -> web.Response:
    page = request.app[PAGE]
    file_id = request.match_info["file_id"]
    if file_id.startswith(MEDIA_PREFIX) and page.twilio is not None:
        data, content_type = await page.twilio.media(file_id.removeprefix(MEDIA_PREFIX))
    else:
        data, content_type = await page.telegram.file(file_id)
    return web.Response(body=data, content_type=content_type)


@routes.post("/sandbox/clock")
async def clock(request: web.Request) -> web.Response:
    site, page = request.app[SITE], request.app[PAGE]
    body = await request.json()
    step = CLOCK_STEPS.get(str(body.get("step")))
    if step is None:
        raise web.HTTPBadRequest(text="step is 'hour' or 'day'")
    now = page.clock.advance(step)
    # Derive everything the skipped span held, then let the outbox deliver it.
    derived = await asyncio.to_thread(
        derive_once, site.engine, site.settings, clock=page.clock, catch_up=step + timedelta(minutes=30)
    )
    site.wake_outbox()
    log.info("sandbox: clock moved %s; %d notifications offered", step, derived)
    local = now.astimezone(site.settings.zone)
    return web.json_response({"now": local.strftime("%Y-%m-%d %H:%M"), "derived": derived})
