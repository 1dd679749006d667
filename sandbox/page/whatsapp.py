"""The sandbox chat pane over WhatsApp: a person writes from the phone number the roster holds,
through the Twilio emulator's control API, and reads what the bot sent to that number. Choices come
as WhatsApp shows them: quick-reply buttons or a list to tap (a tap goes through the emulator as
WhatsApp's would), or a numbered list when they do not fit, answered by typing the number.

Messages are given to the page in the same shape as the Telegram emulator's, so one chat pane shows
both; a photo's `file_id` is `wa:<media sid>`, served by the sandbox's file route.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bots.web.site import SITE
from sandbox.page.clients import TwilioControl
from sandbox.page.people import USER_BASE, phone_of
from sandbox.page.state import PAGE
from sandbox.page.uploads import read_photo

MEDIA_PREFIX = "wa:"
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


async def person_on_whatsapp(request: web.Request) -> tuple[str, TwilioControl]:
    """The roster phone of the person in the path, and the Twilio emulator to write from it."""
    twilio = request.app[PAGE].twilio
    if twilio is None:
        raise web.HTTPNotFound()
    phone = await asyncio.to_thread(phone_of, request.app[SITE].engine, int(request.match_info["person_id"]))
    return phone, twilio


@routes.get("/sandbox/whatsapp/{person_id:\\d+}")
async def messages(request: web.Request) -> web.Response:
    phone, twilio = await person_on_whatsapp(request)
    records = await twilio.conversation(phone)
    user_id = USER_BASE + int(request.match_info["person_id"])
    found = [as_chat_message(r, i, user_id) for i, r in enumerate(records, start=1)]
    return web.json_response({"messages": found})


@routes.post("/sandbox/whatsapp/{person_id:\\d+}/tap")
async def tap(request: web.Request) -> web.Response:
    body = await request.json()
    phone, twilio = await person_on_whatsapp(request)
    await twilio.tap(phone, str(body["sid"]), str(body["id"]))
    return web.json_response({"ok": True})


@routes.post("/sandbox/whatsapp/{person_id:\\d+}/text")
async def text(request: web.Request) -> web.Response:
    body = await request.json()
    phone, twilio = await person_on_whatsapp(request)
    await twilio.send(phone, str(body["text"])[:1600])
    return web.json_response({"ok": True})


@routes.post("/sandbox/whatsapp/{person_id:\\d+}/photo")
async def photo(request: web.Request) -> web.Response:
    data, upload = read_photo(await request.post())
    phone, twilio = await person_on_whatsapp(request)
    await twilio.send(phone, "", [(data, upload.content_type or "image/jpeg")])
    return web.json_response({"ok": True})
