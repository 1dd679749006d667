"""The sandbox chat pane over WhatsApp: a person writes from the phone number the roster holds,
through the Twilio emulator's control API, and reads what the bot sent to that number. Choices come
as WhatsApp shows them: quick-reply buttons or a list to tap (a tap goes through the emulator as
WhatsApp's would), or a numbered list when they do not fit, answered by typing the number.

Messages are given to the page in the same shape as the Telegram emulator's, so one chat pane shows
both; a photo's `file_id` is `wa:<media sid>`, served by the sandbox's file route.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session

from models.people import Person

MEDIA_PREFIX = "wa:"


def phone_of(engine: Engine, person_id: int) -> str:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        if person is None or not person.phone:
            raise web.HTTPNotFound()
        return person.phone


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


class TwilioControl:
    """A small client of the Twilio emulator's control API."""

    def __init__(self, base_url: str, http: Callable[[], aiohttp.ClientSession]) -> None:
        self.base = base_url.rstrip("/") + "/_emulator"
        self._http = http

    @property
    def http(self) -> aiohttp.ClientSession:
        return self._http()

    async def conversation(self, phone: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.base}/messages", params={"channel": "whatsapp"}) as response:
            records = await response.json()
        return [r for r in records if r.get("number") == phone]

    async def send(self, phone: str, body: str, media: list[tuple[bytes, str]] | None = None) -> None:
        payload: dict[str, Any] = {"channel": "whatsapp", "from": phone, "body": body}
        if media:
            payload["media"] = [
                {"content_type": kind, "data_base64": base64.b64encode(data).decode()} for data, kind in media
            ]
        async with self.http.post(f"{self.base}/inbound", json=payload) as response:
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str((await response.json()).get("error", "emulator error")))

    async def tap(self, phone: str, sid: str, option: str) -> None:
        """Tap a button (or a list item) of a message the bot sent to this phone."""
        async with self.http.get(f"{self.base}/messages/{sid}") as response:
            if response.status != 200 or (await response.json()).get("number") != phone:
                raise web.HTTPNotFound()
        async with self.http.post(f"{self.base}/tap", json={"message_sid": sid, "id": option}) as response:
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str((await response.json()).get("error", "emulator error")))

    async def media(self, sid: str) -> tuple[bytes, str]:
        async with self.http.get(f"{self.base}/media/{sid}") as response:
            if response.status != 200:
                raise web.HTTPNotFound()
            return await response.read(), response.content_type


def routes(engine: Engine, control: TwilioControl, user_base: int, max_photo: int) -> list[web.RouteDef]:
    async def messages(request: web.Request) -> web.Response:
        person_id = int(request.match_info["person_id"])
        phone = await asyncio.to_thread(phone_of, engine, person_id)
        records = await control.conversation(phone)
        found = [as_chat_message(r, i, user_base + person_id) for i, r in enumerate(records, start=1)]
        return web.json_response({"messages": found})

    async def text(request: web.Request) -> web.Response:
        body = await request.json()
        phone = await asyncio.to_thread(phone_of, engine, int(request.match_info["person_id"]))
        await control.send(phone, str(body["text"])[:1600])
        return web.json_response({"ok": True})

    async def photo(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="choose a photo")
        data = upload.file.read(max_photo + 1)
        if len(data) > max_photo:
            raise web.HTTPRequestEntityTooLarge(max_size=max_photo, actual_size=len(data))
        phone = await asyncio.to_thread(phone_of, engine, int(request.match_info["person_id"]))
        await control.send(phone, "", [(data, upload.content_type or "image/jpeg")])
        return web.json_response({"ok": True})

    async def tap(request: web.Request) -> web.Response:
        body = await request.json()
        phone = await asyncio.to_thread(phone_of, engine, int(request.match_info["person_id"]))
        await control.tap(phone, str(body["sid"]), str(body["id"]))
        return web.json_response({"ok": True})

    return [
        web.get("/sandbox/whatsapp/{person_id:\\d+}", messages),
        web.post("/sandbox/whatsapp/{person_id:\\d+}/tap", tap),
        web.post("/sandbox/whatsapp/{person_id:\\d+}/text", text),
        web.post("/sandbox/whatsapp/{person_id:\\d+}/photo", photo),
    ]
