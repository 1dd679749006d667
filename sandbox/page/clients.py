"""Small clients of the emulators' control APIs (`/_emulator/...`), sharing one HTTP session that
is opened on first use, inside the running loop."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
from aiohttp import web


class ControlSession:
    def __init__(self) -> None:
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


class TelegramControl:
    """The Telegram emulator: people, class chats, what a person writes or taps, the chats' messages."""

    def __init__(self, base_url: str, session: ControlSession) -> None:
        self.base = base_url.rstrip("/") + "/_emulator"
        self.session = session

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.http.request(method, self.base + path, **kwargs) as response:
            body = await response.json()
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str(body.get("error", "emulator error")))
            return body

    async def act(self, user_id: int, action: str, **kwargs: Any) -> Any:
        """The user writes, taps, shares their contact or sends a photo: `/users/<id>/<action>`."""
        return await self.call("POST", f"/users/{user_id}/{action}", **kwargs)

    async def file(self, file_id: str) -> tuple[bytes, str]:
        async with self.session.http.get(f"{self.base}/files/{file_id}") as response:
            if response.status != 200:
                raise web.HTTPNotFound()
            return await response.read(), response.content_type


class TwilioControl:
    """The Twilio emulator: what a number writes on WhatsApp, and the messages to and from it."""

    def __init__(self, base_url: str, session: ControlSession) -> None:
        self.base = base_url.rstrip("/") + "/_emulator"
        self.session = session

    async def conversation(self, phone: str) -> list[dict[str, Any]]:
        params = {"channel": "whatsapp"}
        async with self.session.http.get(f"{self.base}/messages", params=params) as response:
            records = await response.json()
        return [r for r in records if r.get("number") == phone]

    async def send(self, phone: str, body: str, media: list[tuple[bytes, str]] | None = None) -> None:
        payload: dict[str, Any] = {"channel": "whatsapp", "from": phone, "body": body}
        if media:
            payload["media"] = [
                {"content_type": kind, "data_base64": base64.b64encode(data).decode()} for data, kind in media
            ]
        async with self.session.http.post(f"{self.base}/inbound", json=payload) as response:
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str((await response.json()).get("error", "emulator error")))

    async def tap(self, phone: str, sid: str, option: str) -> None:
        """Tap a button (or a list item) of a message the bot sent to this phone."""
        async with self.session.http.get(f"{self.base}/messages/{sid}") as response:
            if response.status != 200 or (await response.json()).get("number") != phone:
                raise web.HTTPNotFound()
        payload = {"message_sid": sid, "id": option}
        async with self.session.http.post(f"{self.base}/tap", json=payload) as response:
            if response.status >= 400:
                raise web.HTTPBadRequest(text=str((await response.json()).get("error", "emulator error")))

    async def media(self, sid: str) -> tuple[bytes, str]:
        async with self.session.http.get(f"{self.base}/media/{sid}") as response:
            if response.status != 200:
                raise web.HTTPNotFound()
            return await response.read(), response.content_type
