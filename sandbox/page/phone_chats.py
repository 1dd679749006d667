"""The sandbox chat pane over WhatsApp and SMS: a person writes from the phone number the roster
holds, through the Twilio emulator's control API, and reads what the bot sent to that number. On
WhatsApp choices come as WhatsApp shows them: quick-reply buttons or a list to tap (a tap goes
through the emulator as WhatsApp's would), or a numbered list when they do not fit, answered by
typing the number; by SMS always as a numbered list. The SMS inbox lists every SMS the
emulator carried, newest first, with whose number it is: the dashboard's sign-in code and the
messages of families who have only SMS can be read there.

Messages are given to the page in the same shape as the Telegram emulator's, so one chat pane shows
all of them; a photo's `file_id` is `wa:<media sid>`, served by the sandbox's file route.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.web.site import SITE
from models.people import Person
from sandbox.page.clients import TwilioControl
from sandbox.page.people import USER_BASE, phone_of
from sandbox.page.state import PAGE
from sandbox.page.uploads import read_photo

MEDIA_PREFIX = "wa:"
INBOX_SIZE = 50
routes = web.RouteTableDef()


def as_chat_message(record: dict[str, Any], seq: int, user_id: int) -> dict[str, Any]:
    inbound = record.get("direction") == "inbound"
    return {
        "seq": seq,
        "message_id": seq,
        "from_bot": not inbound,
        "sender_id": user_id if inbound else 0,
        "text": record.get("text") or record.get("body") or "",
        "caption": None,
        "reply_markup": None,
        "whatsapp": _buttons(record),
        "media": [
            {"kind": "photo", "file_id": MEDIA_PREFIX + str(item["sid"])}
            for item in record.get("media") or []
            if not item.get("deleted") and str(item.get("content_type") or "").startswith("image/")
        ],
        "message": {},
    }


def _buttons(record: dict[str, Any]) -> dict[str, Any] | None:
    """The message's quick-reply buttons or list as the emulator shows them, with its sid to tap."""
    shown = record.get("interactive")
    return {"sid": record.get("sid"), **shown} if shown else None


async def person_on_phone(request: web.Request) -> tuple[str, TwilioControl]:
    """The roster phone of the person in the path, and the Twilio emulator to write from it."""
    twilio = request.app[PAGE].twilio
    if twilio is None:
        raise web.HTTPNotFound()
    phone = await asyncio.to_thread(phone_of, request.app[SITE].engine, int(request.match_info["person_id"]))
    return phone, twilio


@routes.get("/sandbox/{channel:whatsapp|sms}/{person_id:\\d+}")
async def messages(request: web.Request) -> web.Response:
    phone, twilio = await person_on_phone(request)
    records = await twilio.conversation(phone, request.match_info["channel"])
    user_id = USER_BASE + int(request.match_info["person_id"])
    found = [as_chat_message(r, i, user_id) for i, r in enumerate(records, start=1)]
    return web.json_response({"messages": found})


@routes.post("/sandbox/whatsapp/{person_id:\\d+}/tap")
async def tap(request: web.Request) -> web.Response:
    body = await request.json()
    phone, twilio = await person_on_phone(request)
    await twilio.tap(phone, str(body["sid"]), str(body["id"]))
    return web.json_response({"ok": True})


@routes.post("/sandbox/{channel:whatsapp|sms}/{person_id:\\d+}/text")
async def text(request: web.Request) -> web.Response:
    body = await request.json()
    phone, twilio = await person_on_phone(request)
    await twilio.send(phone, str(body["text"])[:1600], channel=request.match_info["channel"])
    return web.json_response({"ok": True})


@routes.post("/sandbox/whatsapp/{person_id:\\d+}/photo")
async def photo(request: web.Request) -> web.Response:
    data, upload = read_photo(await request.post())
    phone, twilio = await person_on_phone(request)
    await twilio.send(phone, "", [(data, upload.content_type or "image/jpeg")])
    return web.json_response({"ok": True})


def _local(stamp: str, zone: ZoneInfo) -> str:
    """The emulator's UTC time as the school's wall-clock time."""
    try:
        return datetime.fromisoformat(stamp).astimezone(zone).strftime("%d.%m %H:%M")
    except ValueError:
        return ""


def names_by_phone(engine: Engine, phones: set[str]) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(Person.phone, Person.full_name).where(col(Person.phone).in_(phones))).all()
    return {phone: name for phone, name in rows if phone}


@routes.get("/sandbox/sms")
async def inbox(request: web.Request) -> web.Response:
    """Every SMS both ways, newest first: whose number, which way, the text, its status."""
    twilio = request.app[PAGE].twilio
    if twilio is None:
        raise web.HTTPNotFound()
    records = (await twilio.all_of("sms"))[-INBOX_SIZE:]
    names = await asyncio.to_thread(
        names_by_phone, request.app[SITE].engine, {str(r.get("number")) for r in records}
    )
    found = [
        {
            "number": r.get("number"),
            "name": names.get(str(r.get("number")), ""),
            "inbound": r.get("direction") == "inbound",
            "text": r.get("text") or r.get("body") or "",
            "status": r.get("status"),
            "at": _local(str(r.get("date_created", "")), request.app[SITE].settings.zone),
        }
        for r in reversed(records)
    ]
    return web.json_response({"messages": found})
