"""The emulator itself: state, the REST API of Messages, delivery simulation, inbound webhooks."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode, urljoin

import aiohttp
import phonenumbers
from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import RequestValidator

from sandbox.twilio_emulator import content
from sandbox.twilio_emulator.content import ContentError, Shown, show, tap_fields
from sandbox.twilio_emulator.records import (
    API_VERSION,
    DELIVERY_ERRORS,
    FINAL_STATUSES,
    CallbackRecord,
    Channel,
    EmulatedMessage,
    InboundResult,
    MediaItem,
    NumberState,
    Template,
    TwilioApiError,
    address_of,
    bare_number,
    channel_of,
    rfc2822,
)
from sandbox.twilio_emulator.segments import count_segments

log = logging.getLogger("sandbox.twilio_emulator")

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "emulator0auth0token0000000000000"
DEFAULT_WHATSAPP_NUMBER = "+14155238886"
DEFAULT_SMS_NUMBER = "+15005550006"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
WHATSAPP_WINDOW = timedelta(hours=24)
MAX_BODY = 1600
MESSAGES_PATH = f"/{API_VERSION}/Accounts/{{account}}/Messages"

Step = tuple[str, int | None]


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class _RateLimit:
    max_messages: int
    per_seconds: float


@dataclass
class _Reply:
    to: str | None
    from_: str | None
    body: str
    media_urls: list[str]
    status_callback: str | None


class TwiMLError(ValueError):
    pass


def parse_twiml(text: str, content_type: str | None) -> list[_Reply]:
    """The messages a Messaging webhook's answer asks Twilio to send back."""
    if not text.strip():
        return []
    if content_type == "text/plain":
        return [_Reply(None, None, text.strip(), [], None)]
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise TwiMLError(f"document parse failure: {exc}") from None
    if root.tag != "Response":
        raise TwiMLError(f"root element is <{root.tag}>, not <Response>")
    replies: list[_Reply] = []
    for element in root:
        if element.tag != "Message":
            continue
        body_el = element.find("Body")
        if body_el is not None:
            body = body_el.text or ""
        else:
            body = (element.text or "") + "".join(child.tail or "" for child in element)
        media = [(m.text or "").strip() for m in element.findall("Media") if (m.text or "").strip()]
        replies.append(
            _Reply(
                to=element.get("to"),
                from_=element.get("from"),
                body=body.strip(),
                media_urls=media,
                status_callback=element.get("statusCallback") or element.get("action"),
            )
        )
    return replies


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def _whatsapp_message_type(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(major, "document")


class TwilioEmulator:
    """A local Twilio Messaging API (WhatsApp and SMS). See the package docstring for the public API."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        whatsapp_numbers: Sequence[str] = (DEFAULT_WHATSAPP_NUMBER,),
        sms_numbers: Sequence[str] = (DEFAULT_SMS_NUMBER,),
        whatsapp_webhook_url: str | None = None,
        sms_webhook_url: str | None = None,
        step_delay: float = 0.0,
        media_ttl: float = 60.0,
        webhook_timeout: float = 15.0,
        whatsapp_read: bool = True,
        public_url: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.senders: dict[Channel, list[str]] = {
            "whatsapp": [bare_number(n) for n in whatsapp_numbers],
            "sms": [bare_number(n) for n in sms_numbers],
        }
        self.webhook_urls: dict[Channel, str | None] = {
            "whatsapp": whatsapp_webhook_url,
            "sms": sms_webhook_url,
        }
        self.step_delay = step_delay
        self.media_ttl = media_ttl
        self.webhook_timeout = webhook_timeout
        self.whatsapp_read = whatsapp_read
        self.public_url = public_url.rstrip("/") if public_url else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self.validator = RequestValidator(auth_token)
        self.channel_install_sid = "XE" + uuid.uuid5(uuid.NAMESPACE_URL, account_sid).hex

        self.templates: dict[str, Template] = {}
        self.messages: list[EmulatedMessage] = []
        self.inbound_results: list[InboundResult] = []
        self._by_sid: dict[str, EmulatedMessage] = {}
        self._media: dict[str, MediaItem] = {}
        self._cdn: dict[str, tuple[str, float]] = {}
        self._number_states: dict[tuple[Channel, str], NumberState] = {}
        self._last_inbound: dict[str, datetime] = {}
        self._opted_out: set[str] = set()
        self._rate_limits: dict[str | None, _RateLimit] = {}
        self._hits: dict[str, deque[float]] = {}

        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL."""
        from sandbox.twilio_emulator import control

        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._errors])
        self._add_rest_routes(app)
        app[control.EMULATOR] = self
        app.add_routes(content.routes)
        app.add_routes(control.routes)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        self._url = f"http://{shown_host}:{bound_port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))
        log.info("twilio emulator listening on %s (account %s)", self._url, self.account_sid)
        return self.base_url

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Where the emulator is reached (``public_url`` if given, else the address it bound)."""
        url = self.public_url or self._url
        if url is None:
            raise RuntimeError("the Twilio emulator is not started")
        return url

    def now(self) -> datetime:
        return self._clock()

    # ------------------------------------------------------------------ control: configuration

    def set_webhook(self, channel: Channel, url: str | None) -> None:
        """The URL inbound messages of `channel` are POSTed to (None: keep them, post nothing)."""
        self.webhook_urls[channel] = url

    def add_sender(self, channel: Channel, number: str) -> None:
        """Own another WhatsApp sender or SMS number / alphanumeric sender id."""
        number = bare_number(number)
        if number not in self.senders[channel]:
            self.senders[channel].append(number)

    def register_template(
        self,
        body: str,
        *,
        content_sid: str | None = None,
        language: str = "kk",
        friendly_name: str | None = None,
        defaults: dict[str, str] | None = None,
        approved: bool = True,
    ) -> str:
        """Register a Content API template (text with {{1}}, {{2}} …); returns its ContentSid (HX…)."""
        sid = content_sid or new_sid("HX")
        self.templates[sid] = Template(
            content_sid=sid,
            body=body,
            language=language,
            friendly_name=friendly_name,
            defaults=dict(defaults or {}),
            approved=approved,
        )
        return sid

    def mark_number(self, number: str, state: NumberState, channel: Channel | None = None) -> None:
        """ok, blocked, unreachable or unknown; on one channel or (None) on both."""
        if state not in ("ok", "blocked", "unreachable", "unknown"):
            raise ValueError(f"unknown number state {state!r}")
        channels: tuple[Channel, ...] = (channel,) if channel else ("whatsapp", "sms")
        for ch in channels:
            if state == "ok":
                self._number_states.pop((ch, bare_number(number)), None)
            else:
                self._number_states[(ch, bare_number(number))] = state

    def number_state(self, number: str, channel: Channel) -> NumberState:
        return self._number_states.get((channel, bare_number(number)), "ok")

    def set_last_inbound(
        self, number: str, at: datetime | None = None, *, hours_ago: float | None = None
    ) -> None:
        """When `number` last wrote on WhatsApp (opens the 24 h window); both None: never."""
        number = bare_number(number)
        if hours_ago is not None:
            at = self.now() - timedelta(hours=hours_ago)
        if at is None:
            self._last_inbound.pop(number, None)
        else:
            self._last_inbound[number] = at if at.tzinfo else at.replace(tzinfo=UTC)

    def last_inbound(self, number: str) -> datetime | None:
        return self._last_inbound.get(bare_number(number))

    def set_opted_out(self, number: str, opted_out: bool = True) -> None:
        """As if the number had sent STOP (True) or START (False) by SMS."""
        if opted_out:
            self._opted_out.add(bare_number(number))
        else:
            self._opted_out.discard(bare_number(number))

    def is_opted_out(self, number: str) -> bool:
        return bare_number(number) in self._opted_out

    def set_rate_limit(self, max_messages: int, per_seconds: float = 1.0, sender: str | None = None) -> None:
        """At most `max_messages` creates per `per_seconds` from `sender` (None: from every sender)."""
        if max_messages < 0 or per_seconds <= 0:
            raise ValueError("max_messages must be >= 0 and per_seconds > 0")
        self._rate_limits[bare_number(sender) if sender else None] = _RateLimit(max_messages, per_seconds)

    def lift_rate_limit(self, sender: str | None = None) -> None:
        """Lift the limit of one sender, or (None) every limit."""
        if sender is None:
            self._rate_limits.clear()
        else:
            self._rate_limits.pop(bare_number(sender), None)
        self._hits.clear()

    def reset(self, *, keep_config: bool = True) -> None:
        """Forget all traffic and per-number state; with keep_config=False also webhooks and templates."""
        for task in list(self._tasks):
            task.cancel()
        self.messages.clear()
        self.inbound_results.clear()
        self._by_sid.clear()
        self._media.clear()
        self._cdn.clear()
        self._number_states.clear()
        self._last_inbound.clear()
        self._opted_out.clear()
        self._rate_limits.clear()
        self._hits.clear()
        if not keep_config:
            self.templates.clear()
            self.webhook_urls = {"whatsapp": None, "sms": None}
        self._notify()

    # ------------------------------------------------------------------ control: reading

    def message(self, sid: str) -> EmulatedMessage:
        return self._by_sid[sid]

    def media(self, sid: str) -> MediaItem:
        return self._media[sid]

    def messages_to(self, number: str, channel: Channel | None = None) -> list[EmulatedMessage]:
        """Everything sent to `number` (API sends and TwiML replies), oldest first."""
        number = bare_number(number)
        return [
            m
            for m in self.messages
            if m.direction != "inbound" and m.number == number and (channel is None or m.channel == channel)
        ]

    def messages_from(self, number: str, channel: Channel | None = None) -> list[EmulatedMessage]:
        """Inbound messages the emulator received from `number`, oldest first."""
        number = bare_number(number)
        return [
            m
            for m in self.messages
            if m.direction == "inbound" and m.number == number and (channel is None or m.channel == channel)
        ]

    @property
    def callbacks(self) -> list[CallbackRecord]:
        return [c for m in self.messages for c in m.callbacks]

    async def wait_for_messages(
        self, number: str, count: int = 1, *, channel: Channel | None = None, timeout: float = 5.0
    ) -> list[EmulatedMessage]:
        """Wait until at least `count` messages were sent to `number`; returns all of them."""
        await self._wait(
            lambda: len(self.messages_to(number, channel)) >= count,
            timeout,
            f"{count} message(s) to the number",
        )
        return self.messages_to(number, channel)

    async def wait_until_settled(self, sid: str, timeout: float = 5.0) -> EmulatedMessage:
        """Wait until a message reached its last status and every status callback was posted."""
        await self._wait(lambda: sid in self._by_sid and self._by_sid[sid].settled, timeout, f"{sid} settled")
        return self._by_sid[sid]

    async def wait_for_status(
        self, sid: str, statuses: str | Iterable[str] = FINAL_STATUSES, timeout: float = 5.0
    ) -> EmulatedMessage:
        wanted = {statuses} if isinstance(statuses, str) else set(statuses)
        await self._wait(
            lambda: sid in self._by_sid and bool(wanted & set(self._by_sid[sid].status_history)),
            timeout,
            f"{sid} status in {sorted(wanted)}",
        )
        return self._by_sid[sid]

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every message in flight has settled."""
        await self._wait(lambda: all(m.settled for m in self.messages), timeout, "all messages settled")

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"twilio emulator: timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # ------------------------------------------------------------------ REST API

    def _add_rest_routes(self, app: web.Application) -> None:
        m = MESSAGES_PATH
        r = app.router
        r.add_post(m + ".json", self._create_handler)
        r.add_get(m + ".json", self._list_handler)
        r.add_get(m + "/{sid}/Media.json", self._media_list_handler)
        r.add_get(m + "/{sid}/Media/{media}.json", self._media_fetch_handler)
        r.add_delete(m + "/{sid}/Media/{media}.json", self._media_delete_handler)
        r.add_get(m + "/{sid}/Media/{media:ME[0-9a-fA-F]{32}}", self._media_content_handler)
        r.add_get(m + "/{sid}.json", self._fetch_handler)
        r.add_post(m + "/{sid}.json", self._update_handler)
        r.add_delete(m + "/{sid}.json", self._delete_handler)
        r.add_get("/cdn/{token}", self._cdn_handler)

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except TwilioApiError as exc:
            return exc.response()

    async def _not_found(self, request: web.Request) -> web.Response:
        raise TwilioApiError(20404, uri=request.path)

    def authenticate(self, request: web.Request) -> None:
        """HTTP Basic auth with the account's credentials (and its SID in the path, where there is one)."""
        self._authenticate(request, account_in_path=False)

    def _authenticate(self, request: web.Request, *, account_in_path: bool = True) -> None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            login, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise TwilioApiError(20003) from None
        if not (
            scheme.lower() == "basic"
            and sep
            and hmac.compare_digest(login.encode(), self.account_sid.encode())
            and hmac.compare_digest(password.encode(), self.auth_token.encode())
        ):
            raise TwilioApiError(20003)
        if account_in_path and request.match_info.get("account") != self.account_sid:
            raise TwilioApiError(20404, uri=request.path)

    def _message_or_404(self, request: web.Request) -> EmulatedMessage:
        msg = self._by_sid.get(request.match_info["sid"])
        if msg is None:
            raise TwilioApiError(20404, uri=request.path)
        return msg

    def _media_or_404(self, request: web.Request) -> MediaItem:
        msg = self._message_or_404(request)
        item = self._media.get(request.match_info["media"])
        if item is None or item.message_sid != msg.sid or item.deleted:
            raise TwilioApiError(20404, uri=request.path)
        return item

    async def _create_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        form = await request.post()
        msg = await self.create_message(form)  # type: ignore[arg-type]
        return web.json_response(msg.resource(), status=201)

    async def _fetch_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        return web.json_response(self._message_or_404(request).resource())

    async def _update_handler(self, request: web.Request) -> web.Response:
        """Redaction (Body="") and cancelling a queued message."""
        self._authenticate(request)
        msg = self._message_or_404(request)
        form = await request.post()
        if form.get("Body") == "":
            msg.body, msg.rendered_text = "", None
        if form.get("Status") == "canceled" and msg.status in ("queued", "accepted", "scheduled"):
            self._set_status(msg, "canceled", None)
        msg.date_updated = self.now()
        return web.json_response(msg.resource())

    async def _delete_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        msg = self._message_or_404(request)
        self.messages.remove(msg)
        del self._by_sid[msg.sid]
        self._notify()
        return web.Response(status=204)

    async def _list_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        q = request.query
        to, from_ = q.get("To"), q.get("From")
        try:
            page_size = max(1, min(1000, int(q.get("PageSize", "50"))))
            page = max(0, int(q.get("Page", "0")))
        except ValueError:
            page_size, page = 50, 0
        found = [
            m
            for m in reversed(self.messages)
            if (to is None or m.to == to) and (from_ is None or m.from_ == from_)
        ]
        chunk = found[page * page_size : (page + 1) * page_size]
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        filters = {k: v for k, v in (("To", to), ("From", from_)) if v is not None}

        def page_uri(number: int) -> str:
            query = {**filters, "PageSize": str(page_size), "Page": str(number)}
            if number > 0:
                query["PageToken"] = f"PA{found[number * page_size - 1].sid}"
            return f"{path}?{urlencode(query)}"

        has_next = (page + 1) * page_size < len(found)
        return web.json_response(
            {
                "messages": [m.resource() for m in chunk],
                "end": page * page_size + max(len(chunk) - 1, 0),
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page + 1) if has_next else None,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": page_uri(page - 1) if page > 0 else None,
                "start": page * page_size,
                "uri": page_uri(page),
            }
        )

    def _media_resource(self, item: MediaItem) -> dict[str, Any]:
        created = item.date_created or self.now()
        return {
            "account_sid": self.account_sid,
            "content_type": item.content_type,
            "date_created": rfc2822(created),
            "date_updated": rfc2822(created),
            "parent_sid": item.message_sid,
            "sid": item.sid,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{item.message_sid}"
            f"/Media/{item.sid}.json",
        }

    async def _media_list_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        msg = self._message_or_404(request)
        items = [self._media_resource(m) for m in msg.media if not m.deleted]
        uri = request.path
        return web.json_response(
            {
                "media_list": items,
                "end": max(len(items) - 1, 0),
                "first_page_uri": f"{uri}?PageSize=50&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{uri}?PageSize=50&Page=0",
            }
        )

    async def _media_fetch_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        return web.json_response(self._media_resource(self._media_or_404(request)))

    async def _media_delete_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        item = self._media_or_404(request)
        item.deleted = True
        self._cdn = {t: v for t, v in self._cdn.items() if v[0] != item.sid}
        log.info("media %s of %s deleted", item.sid, item.message_sid)
        self._notify()
        return web.Response(status=204)

    async def _media_content_handler(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        item = self._media_or_404(request)
        token = secrets.token_urlsafe(24)
        self._cdn[token] = (item.sid, time.monotonic() + self.media_ttl)
        raise web.HTTPTemporaryRedirect(location=f"{self.base_url}/cdn/{token}")

    async def _cdn_handler(self, request: web.Request) -> web.Response:
        entry = self._cdn.get(request.match_info["token"])
        if entry is None:
            return web.Response(status=404, text="Not Found")
        media_sid, expires = entry
        if time.monotonic() > expires:
            del self._cdn[request.match_info["token"]]
            return web.Response(status=403, text="Request has expired")
        item = self._media.get(media_sid)
        if item is None or item.deleted or item.data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=item.data, content_type=item.content_type)

    # ------------------------------------------------------------------ creating messages

    async def create_message(self, form: MultiDictProxy[str] | dict[str, Any]) -> EmulatedMessage:
        """Validate and record a Messages.json create request; schedule its delivery.

        Raises TwilioApiError as the REST API would answer it.
        """
        params = _as_multi(form)

        def one(name: str) -> str | None:
            values = params.get(name)
            return values[0] if values else None

        to = (one("To") or "").strip()
        if not to:
            raise TwilioApiError(21604)
        channel = channel_of(to)
        to_number = bare_number(to)
        if not E164.match(to_number):
            raise TwilioApiError(21211, value=to)

        service = one("MessagingServiceSid") or None
        from_ = (one("From") or "").strip() or None
        if from_ is None:
            if service is None:
                raise TwilioApiError(21603)
            if not MESSAGING_SERVICE_SID.match(service):
                raise TwilioApiError(21701, value=service)
            if not self.senders[channel]:
                raise TwilioApiError(63007 if channel == "whatsapp" else 21606, value=to)
        else:
            self._check_sender(channel, from_)

        body = one("Body") or ""
        media_urls = params.get("MediaUrl", [])
        content_sid = one("ContentSid") or None
        variables: dict[str, str] = {}
        rendered: str | None = None
        template: Template | None = None
        shown: Shown | None = None
        if content_sid is not None:
            template = self.templates.get(content_sid)
            if template is None:
                raise TwilioApiError(21655)
            variables = _parse_variables(one("ContentVariables"))
            try:
                shown = show(template, variables, channel)
            except ContentError as error:
                raise TwilioApiError(error.code) from None
            rendered = shown.text
        elif not body and not media_urls:
            raise TwilioApiError(21602)
        if len(rendered if rendered is not None else body) > MAX_BODY:
            raise TwilioApiError(21617)
        if channel == "sms" and to_number in self._opted_out:
            raise TwilioApiError(21610)
        self._take_rate(bare_number(from_) if from_ else service or "")

        now = self.now()
        text = rendered if rendered is not None else body
        msg = EmulatedMessage(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            channel=channel,
            direction="outbound-api",
            from_=from_,
            to=to,
            body=body,
            date_created=now,
            date_updated=now,
            status="queued" if from_ else "accepted",
            content_sid=content_sid,
            content_variables=variables,
            rendered_text=rendered,
            interactive=shown.to_json() if shown is not None and shown.options else None,
            num_segments=(count_segments(text) if channel == "sms" else 1) if from_ else 0,
            status_callback=one("StatusCallback") or None,
            messaging_service_sid=service,
            params={k: list(v) for k, v in params.items()},
        )
        msg.status_history.append(msg.status)
        self._record(msg)
        await self._fetch_media(msg, media_urls, base=None)
        outside_window = (
            channel == "whatsapp"
            and not (template is not None and template.approved)
            and not self._in_window(to_number, now)
        )
        self._schedule(msg, self._plan(msg, outside_window=outside_window))
        log.info("message %s created (%s, template=%s)", msg.sid, channel, content_sid or "-")
        return msg

    def _check_sender(self, channel: Channel, from_: str) -> None:
        if channel_of(from_) != channel:
            raise TwilioApiError(21910)
        number = bare_number(from_)
        if number in self.senders[channel]:
            return
        if not E164.match(number) and not (channel == "sms" and ALPHANUMERIC_SENDER.match(number)):
            raise TwilioApiError(21212, value=from_)
        if channel == "whatsapp":
            raise TwilioApiError(63007)
        raise TwilioApiError(21606, value=from_)

    def _in_window(self, number: str, now: datetime) -> bool:
        last = self._last_inbound.get(number)
        return last is not None and now - last <= WHATSAPP_WINDOW

    def _take_rate(self, sender: str) -> None:
        limit = self._rate_limits.get(sender) or self._rate_limits.get(None)
        if limit is None:
            return
        now = time.monotonic()
        hits = self._hits.setdefault(sender, deque())
        while hits and now - hits[0] >= limit.per_seconds:
            hits.popleft()
        if len(hits) >= limit.max_messages:
            retry_after = limit.per_seconds - (now - hits[0]) if hits else limit.per_seconds
            log.info("rate limit hit for a sender (%d per %ss)", limit.max_messages, limit.per_seconds)
            raise TwilioApiError(20429, retry_after=retry_after)
        hits.append(now)

    def _record(self, msg: EmulatedMessage) -> None:
        self.messages.append(msg)
        self._by_sid[msg.sid] = msg
        self._notify()

    async def _fetch_media(self, msg: EmulatedMessage, urls: Sequence[str], base: str | None) -> None:
        for url in urls:
            absolute = urljoin(base, url) if base else url
            item = MediaItem(
                sid=new_sid("ME"),
                message_sid=msg.sid,
                content_type="",
                data=None,
                source_url=absolute,
                date_created=self.now(),
            )
            try:
                assert self._session is not None
                async with self._session.get(absolute, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    if resp.status >= 400:
                        item.error = f"HTTP {resp.status}"
                    else:
                        item.data = await resp.read()
                        item.content_type = resp.content_type
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                item.error = f"{type(exc).__name__}: {exc}"
            if item.error:
                log.info("media %s of %s not fetched: %s", item.sid, msg.sid, item.error)
            msg.media.append(item)
            self._media[item.sid] = item

    # ------------------------------------------------------------------ delivery simulation

    def _plan(self, msg: EmulatedMessage, *, outside_window: bool = False) -> list[Step]:
        steps: list[Step] = [("queued", None)] if msg.status == "accepted" else []
        state = self.number_state(msg.number, msg.channel)
        if msg.channel == "whatsapp":
            if any(m.error for m in msg.media):
                return [*steps, ("failed", 63019)]
            if state != "ok":
                return [*steps, ("failed", 63024)]
            if outside_window:
                return [*steps, ("failed", 63016)]
            steps += [("sent", None), ("delivered", None)]
            if self.whatsapp_read:
                steps.append(("read", None))
            return steps
        code = {"unreachable": 30003, "blocked": 30004, "unknown": 30005}.get(state)
        if code is not None:
            return [*steps, ("sent", None), ("undelivered", code)]
        return [*steps, ("sent", None), ("delivered", None)]

    def _schedule(self, msg: EmulatedMessage, steps: list[Step]) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(msg, steps))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, msg: EmulatedMessage, steps: list[Step]) -> None:
        try:
            for status, code in steps:
                await asyncio.sleep(self.step_delay)
                if msg.status == "canceled":
                    break
                self._set_status(msg, status, code)
                await self._post_status_callback(msg, status)
        finally:
            msg.settled = True
            self._notify()

    def _set_status(self, msg: EmulatedMessage, status: str, code: int | None) -> None:
        now = self.now()
        if msg.from_ is None and self.senders[msg.channel]:
            msg.from_ = address_of(msg.channel, self.senders[msg.channel][0])
            msg.num_segments = count_segments(msg.text) if msg.channel == "sms" else 1
        msg.status = status
        msg.status_history.append(status)
        msg.date_updated = now
        if status == "sent":
            msg.date_sent = now
        if code is not None:
            msg.error_code = code
            msg.error_message = DELIVERY_ERRORS.get(code)
        log.info("message %s -> %s%s", msg.sid, status, f" ({code})" if code else "")
        self._notify()

    def status_callback_form(self, msg: EmulatedMessage, status: str) -> dict[str, str]:
        form = {
            "SmsSid": msg.sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": msg.to,
            "MessageSid": msg.sid,
            "AccountSid": self.account_sid,
            "From": msg.from_ or "",
            "ApiVersion": API_VERSION,
        }
        if msg.channel == "whatsapp":
            form |= {
                "ChannelPrefix": "whatsapp",
                "ChannelInstallSid": self.channel_install_sid,
                "ChannelToAddress": msg.number,
                "StructuredMessage": "false",
            }
        if msg.messaging_service_sid:
            form["MessagingServiceSid"] = msg.messaging_service_sid
        if status in ("failed", "undelivered") and msg.error_code is not None:
            form["ErrorCode"] = str(msg.error_code)
        if status == "delivered" and msg.channel == "sms":
            form["RawDlrDoneDate"] = self.now().strftime("%y%m%d%H%M")
        return form

    async def _post_status_callback(self, msg: EmulatedMessage, status: str) -> None:
        if not msg.status_callback:
            return
        form = self.status_callback_form(msg, status)
        signature = self.validator.compute_signature(msg.status_callback, form)
        record = CallbackRecord(msg.sid, status, msg.status_callback, form, signature)
        msg.callbacks.append(record)
        outcome = await self._post_form(msg.status_callback, form, {"X-Twilio-Signature": signature})
        record.http_status, record.latency, record.error = outcome.status, outcome.latency, outcome.error
        log.info("status callback for %s (%s) answered %s", msg.sid, status, outcome.status)
        self._notify()

    # ------------------------------------------------------------------ inbound

    async def inject_inbound(
        self,
        channel: Channel = "whatsapp",
        from_number: str = "+77010000001",
        body: str = "",
        media: Sequence[tuple[bytes, str]] = (),
        *,
        button_payload: str | None = None,
        button_text: str | None = None,
        list_id: str | None = None,
        list_title: str | None = None,
        profile_name: str | None = "Sandbox User",
        to: str | None = None,
        forge_signature: bool = False,
        extra_fields: dict[str, str] | None = None,
    ) -> InboundResult:
        """A person writes: record the inbound message, POST Twilio's signed webhook form, record the
        TwiML replies as messages sent back to the person. Returns the webhook call's record."""
        number = bare_number(from_number)
        if not E164.match(number):
            raise ValueError("from_number must be an E.164 number like +77011234567")
        if to is None and not self.senders[channel]:
            raise ValueError(f"the emulator owns no {channel} sender")
        to_number = bare_number(to) if to else self.senders[channel][0]
        now = self.now()
        sid = new_sid("SM")
        if button_payload is not None and not body:
            body = button_text or button_payload
        if list_id is not None and not body:
            body = list_title or list_id
        items = [
            MediaItem(sid=new_sid("ME"), message_sid=sid, content_type=ct, data=data, date_created=now)
            for data, ct in media
        ]
        msg = EmulatedMessage(
            sid=sid,
            account_sid=self.account_sid,
            channel=channel,
            direction="inbound",
            from_=address_of(channel, number),
            to=address_of(channel, to_number),
            body=body,
            date_created=now,
            date_updated=now,
            status="received",
            media=items,
            num_segments=count_segments(body) if channel == "sms" else 1,
            settled=True,
        )
        msg.status_history.append("received")
        for item in items:
            self._media[item.sid] = item
        if channel == "whatsapp":
            self._last_inbound[number] = now
        else:
            keyword = body.strip().upper()
            if keyword in STOP_WORDS:
                self._opted_out.add(number)
            elif keyword in START_WORDS:
                self._opted_out.discard(number)
        self._record(msg)

        form = self.inbound_form(
            msg,
            button_payload=button_payload,
            button_text=button_text,
            list_id=list_id,
            list_title=list_title,
        )
        if channel == "whatsapp" and profile_name is not None:
            form["ProfileName"] = profile_name
        form |= extra_fields or {}
        url = self.webhook_urls[channel]
        signature = self.validator.compute_signature(url or "", form)
        if forge_signature:
            signature = RequestValidator(self.auth_token + "-forged").compute_signature(url or "", form)
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        result = InboundResult(
            message_sid=sid,
            channel=channel,
            url=url,
            form=form,
            headers=headers,
            signature=signature,
            forged=forge_signature,
        )
        log.info("inbound %s (%s, %d media)", sid, channel, len(items))
        await self._call_webhook(result, msg)
        return result

    def inbound_form(
        self,
        msg: EmulatedMessage,
        *,
        button_payload: str | None = None,
        button_text: str | None = None,
        list_id: str | None = None,
        list_title: str | None = None,
    ) -> dict[str, str]:
        """Twilio's inbound-message webhook form for a recorded inbound message."""
        number, own = bare_number(msg.from_ or ""), bare_number(msg.to)
        form = {
            "MessageSid": msg.sid,
            "SmsMessageSid": msg.sid,
            "SmsSid": msg.sid,
            "AccountSid": self.account_sid,
            "From": msg.from_ or "",
            "To": msg.to,
            "Body": msg.body,
            "NumMedia": str(len(msg.media)),
            "NumSegments": str(msg.num_segments),
            "SmsStatus": "received",
            "ApiVersion": API_VERSION,
        }
        for i, item in enumerate(msg.media):
            form[f"MediaUrl{i}"] = (
                f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages/{msg.sid}/Media/{item.sid}"
            )
            form[f"MediaContentType{i}"] = item.content_type
        if msg.channel == "whatsapp":
            if button_payload is not None or button_text is not None:
                message_type = "button"
                form["ButtonPayload"] = button_payload or ""
                form["ButtonText"] = button_text or msg.body
            elif list_id is not None:
                message_type = "interactive"
                form["ListId"] = list_id
                form["ListTitle"] = list_title or msg.body
            elif msg.media:
                message_type = _whatsapp_message_type(msg.media[0].content_type)
            else:
                message_type = "text"
            form |= {"WaId": number.lstrip("+"), "MessageType": message_type, "ReferralNumMedia": "0"}
        else:
            form |= {
                "FromCountry": _country(number),
                "FromState": "",
                "FromCity": "",
                "FromZip": "",
                "ToCountry": _country(own),
                "ToState": "",
                "ToCity": "",
                "ToZip": "",
            }
        return form

    async def tap(self, message_sid: str, option_id: str, **kw: Any) -> InboundResult:
        """The person taps a button (or picks a list item) of a WhatsApp message sent to them: the
        inbound message that follows carries ButtonPayload/ButtonText or ListId/ListTitle."""
        sent = self._by_sid[message_sid]
        if sent.direction == "inbound" or sent.channel != "whatsapp" or not sent.interactive:
            raise ValueError(f"{message_sid} is no WhatsApp message with buttons")
        shown = Shown(
            sent.interactive["type"], sent.text, sent.interactive["button"], sent.interactive["options"]
        )
        body, fields = tap_fields(shown, option_id)
        if "ButtonPayload" in fields:
            kw |= {"button_payload": fields["ButtonPayload"], "button_text": fields["ButtonText"]}
        else:
            kw |= {"list_id": fields["ListId"], "list_title": fields["ListTitle"]}
        return await self.inject_inbound("whatsapp", sent.number, body, **kw)

    async def retry_inbound(self, previous: InboundResult | str) -> InboundResult:
        """Send the very same signed request again, as Twilio does when it retries a webhook."""
        if isinstance(previous, str):
            earlier = [r for r in self.inbound_results if r.message_sid == previous]
            if not earlier:
                raise KeyError(previous)
            previous = earlier[-1]
        result = InboundResult(
            message_sid=previous.message_sid,
            channel=previous.channel,
            url=previous.url,
            form=dict(previous.form),
            headers=dict(previous.headers),
            signature=previous.signature,
            forged=previous.forged,
            attempt=previous.attempt + 1,
        )
        log.info("inbound %s re-sent (attempt %d)", result.message_sid, result.attempt)
        await self._call_webhook(result, self._by_sid[result.message_sid])
        return result

    async def _call_webhook(self, result: InboundResult, inbound: EmulatedMessage) -> None:
        self.inbound_results.append(result)
        if result.url is None:
            result.error = f"no {result.channel} webhook configured"
            self._notify()
            return
        outcome = await self._post_form(result.url, result.form, result.headers)
        result.http_status, result.latency, result.error = outcome.status, outcome.latency, outcome.error
        result.response_body, result.response_content_type = outcome.body, outcome.content_type
        log.info(
            "webhook for %s answered %s in %.3fs",
            result.message_sid,
            outcome.status,
            outcome.latency or 0.0,
        )
        if outcome.status is None or not 200 <= outcome.status < 300:
            result.error_code = 11200
            self._notify()
            return
        try:
            replies = parse_twiml(outcome.body or "", outcome.content_type)
        except TwiMLError as exc:
            result.error_code, result.error = 12100, str(exc)
            self._notify()
            return
        for reply in replies:
            result.replies.append(await self._create_reply(inbound, reply, result.url))
        self._notify()

    async def _create_reply(
        self, inbound: EmulatedMessage, reply: _Reply, webhook_url: str
    ) -> EmulatedMessage:
        channel = inbound.channel
        to = address_of(channel, reply.to) if reply.to else inbound.from_ or ""
        from_ = address_of(channel, reply.from_) if reply.from_ else inbound.to
        now = self.now()
        msg = EmulatedMessage(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            channel=channel,
            direction="outbound-reply",
            from_=from_,
            to=to,
            body=reply.body,
            date_created=now,
            date_updated=now,
            num_segments=count_segments(reply.body) if channel == "sms" else 1,
            status_callback=urljoin(webhook_url, reply.status_callback) if reply.status_callback else None,
            in_reply_to=inbound.sid,
        )
        msg.status_history.append("queued")
        self._record(msg)
        await self._fetch_media(msg, reply.media_urls, base=webhook_url)
        self._schedule(msg, self._plan(msg))
        log.info("reply %s to inbound %s recorded", msg.sid, inbound.sid)
        return msg

    # ------------------------------------------------------------------ HTTP out

    async def _post_form(self, url: str, form: dict[str, str], headers: dict[str, str]) -> _Outcome:
        if self._session is None:
            raise RuntimeError("the Twilio emulator is not started")
        started = time.perf_counter()
        try:
            async with self._session.post(
                url,
                data=urlencode(form),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            ) as resp:
                text = await resp.text(errors="replace")
                return _Outcome(resp.status, time.perf_counter() - started, text, resp.content_type, None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _Outcome(None, time.perf_counter() - started, None, None, f"{type(exc).__name__}: {exc}")


@dataclass
class _Outcome:
    status: int | None
    latency: float | None
    body: str | None
    content_type: str | None
    error: str | None


def _as_multi(form: MultiDictProxy[str] | dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(form, MultiDictProxy):
        for key, value in form.items():
            out.setdefault(key, []).append(str(value))
        return out
    for key, value in form.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        out[key] = [str(v) for v in values]
    return out


def _parse_variables(raw: str | None) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise TwilioApiError(21656) from None
    if not isinstance(parsed, dict):
        raise TwilioApiError(21656)
    return {str(k): str(v) for k, v in parsed.items()}
