"""JSON control endpoints under /_emulator/ for tests in other processes and the sandbox web page.

No authentication: the emulator is a local test tool. Every answer allows any origin (CORS), so a
page served elsewhere can drive it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from sandbox.twilio_emulator.records import Channel, NumberState

if TYPE_CHECKING:
    from sandbox.twilio_emulator.emulator import TwilioEmulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EMULATOR: web.AppKey[TwilioEmulator] = web.AppKey("twilio_emulator")
PREFIX = "/_emulator"
routes = web.RouteTableDef()  # the control endpoints; each handler finds its emulator under EMULATOR
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}


class BadRequest(Exception):
    pass


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=CORS)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("body must be JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _channel(value: Any, *, optional: bool = False) -> Channel | None:
    if value is None and optional:
        return None
    if value not in ("whatsapp", "sms"):
        raise BadRequest("channel must be 'whatsapp' or 'sms'")
    return cast(Channel, value)


def _required(data: dict[str, Any], name: str) -> Any:
    if data.get(name) in (None, ""):
        raise BadRequest(f"'{name}' is required")
    return data[name]


def _guarded(handler: Handler) -> Handler:
    """A control call's mistakes answered as JSON errors: unknown id 404, bad input 400, timeout 408."""

    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return _json({"error": str(exc)}, status=400)
        except KeyError as exc:
            return _json({"error": f"not found: {exc.args[0]}"}, status=404)
        except ValueError as exc:
            return _json({"error": str(exc)}, status=400)
        except TimeoutError as exc:
            return _json({"error": str(exc)}, status=408)

    return run


@routes.get(PREFIX + "/state")
@_guarded
async def state(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return _json(
        {
            "account_sid": emu.account_sid,
            "base_url": emu.base_url,
            "senders": emu.senders,
            "webhooks": emu.webhook_urls,
            "templates": [t.to_json() for t in emu.templates.values()],
            "number_states": [
                {"channel": ch, "number": n, "state": s} for (ch, n), s in emu._number_states.items()
            ],
            "last_inbound": {n: at.isoformat() for n, at in emu._last_inbound.items()},
            "opted_out": sorted(emu._opted_out),
            "rate_limits": [
                {"sender": s, "max_messages": r.max_messages, "per_seconds": r.per_seconds}
                for s, r in emu._rate_limits.items()
            ],
            "message_count": len(emu.messages),
            "inbound_count": len(emu.inbound_results),
        }
    )


@routes.post(PREFIX + "/webhooks")
@_guarded
async def webhooks(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    for channel in ("whatsapp", "sms"):
        if channel in data:
            emu.set_webhook(cast(Channel, channel), data[channel] or None)
    return _json(emu.webhook_urls)


@routes.get(PREFIX + "/templates")
@_guarded
async def templates_list(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return _json([t.to_json() for t in emu.templates.values()])


@routes.post(PREFIX + "/templates")
@_guarded
async def templates_add(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    sid = emu.register_template(
        str(_required(data, "body")),
        content_sid=data.get("content_sid"),
        language=data.get("language", "kk"),
        friendly_name=data.get("friendly_name"),
        defaults={str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
        approved=bool(data.get("approved", True)),
    )
    return _json(emu.templates[sid].to_json(), status=201)


@routes.get(PREFIX + "/messages")
@_guarded
async def messages(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    q = request.query
    channel = _channel(q.get("channel"), optional=True)
    number = q.get("number")
    direction = q.get("direction")
    found = emu.messages
    if number:
        found = (
            emu.messages_from(number, channel) if direction == "inbound" else emu.messages_to(number, channel)
        )
    else:
        found = [
            m
            for m in found
            if (channel is None or m.channel == channel) and (direction is None or m.direction == direction)
        ]
    return _json([m.to_json() for m in found])


@routes.get(PREFIX + "/messages/{sid}")
@_guarded
async def message(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return _json(emu.message(request.match_info["sid"]).to_json())


@routes.get(PREFIX + "/media/{sid}")
@_guarded
async def media(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    item = emu.media(request.match_info["sid"])
    if item.data is None:
        return _json({"error": item.error or "no data"}, status=404)
    return web.Response(
        body=item.data, content_type=item.content_type or "application/octet-stream", headers=CORS
    )


@routes.post(PREFIX + "/wait")
@_guarded
async def wait(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    found = await emu.wait_for_messages(
        str(_required(data, "number")),
        int(data.get("count", 1)),
        channel=_channel(data.get("channel"), optional=True),
        timeout=float(data.get("timeout", 5.0)),
    )
    return _json([m.to_json() for m in found])


@routes.post(PREFIX + "/settle")
@_guarded
async def settle(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    sid = data.get("sid")
    timeout = float(data.get("timeout", 5.0))
    if sid:
        return _json((await emu.wait_until_settled(str(sid), timeout)).to_json())
    await emu.settle(timeout)
    return _json({"settled": True})


@routes.post(PREFIX + "/numbers")
@_guarded
async def numbers(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    state = str(data.get("state", "ok"))
    emu.mark_number(
        str(_required(data, "number")),
        cast(NumberState, state),
        _channel(data.get("channel"), optional=True),
    )
    return _json({"number": data["number"], "state": state, "channel": data.get("channel")})


@routes.post(PREFIX + "/last_inbound")
@_guarded
async def last_inbound(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    number = str(_required(data, "number"))
    at = data.get("at")
    emu.set_last_inbound(
        number,
        datetime.fromisoformat(at) if at else None,
        hours_ago=float(data["hours_ago"]) if data.get("hours_ago") is not None else None,
    )
    seen = emu.last_inbound(number)
    return _json({"number": number, "last_inbound": seen.isoformat() if seen else None})


@routes.post(PREFIX + "/opt_out")
@_guarded
async def opt_out(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    number = str(_required(data, "number"))
    emu.set_opted_out(number, bool(data.get("opted_out", True)))
    return _json({"number": number, "opted_out": emu.is_opted_out(number)})


@routes.post(PREFIX + "/rate_limit")
@_guarded
async def rate_limit_set(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    emu.set_rate_limit(
        int(_required(data, "max_messages")), float(data.get("per_seconds", 1.0)), data.get("sender")
    )
    return _json({"ok": True})


@routes.delete(PREFIX + "/rate_limit")
@_guarded
async def rate_limit_lift(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    emu.lift_rate_limit(request.query.get("sender"))
    return _json({"ok": True})


@routes.get(PREFIX + "/inbound")
@_guarded
async def inbound_list(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return _json([r.to_json() for r in emu.inbound_results])


@routes.post(PREFIX + "/inbound")
@_guarded
async def inbound(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    files: list[tuple[bytes, str]] = []
    for entry in data.get("media") or []:
        try:
            files.append((base64.b64decode(entry["data_base64"], validate=True), str(entry["content_type"])))
        except (KeyError, TypeError, binascii.Error):
            raise BadRequest("media entries need content_type and data_base64") from None
    result = await emu.inject_inbound(
        _channel(data.get("channel", "whatsapp")) or "whatsapp",
        str(_required(data, "from")),
        str(data.get("body", "")),
        files,
        button_payload=data.get("button_payload"),
        button_text=data.get("button_text"),
        list_id=data.get("list_id"),
        list_title=data.get("list_title"),
        profile_name=data.get("profile_name", "Sandbox User"),
        to=data.get("to"),
        forge_signature=bool(data.get("forge_signature", False)),
        extra_fields={str(k): str(v) for k, v in (data.get("extra_fields") or {}).items()},
    )
    return _json(result.to_json(), status=201)


@routes.post(PREFIX + "/tap")
@_guarded
async def tap(request: web.Request) -> web.Response:
    """A tap on a quick-reply button or list item of a message sent to the number, answered by
    WhatsApp's inbound webhook with ButtonPayload (or ListId) as its own client would send it."""
    emu = request.app[EMULATOR]
    data = await _body(request)
    result = await emu.tap(str(_required(data, "message_sid")), str(_required(data, "id")))
    return _json(result.to_json(), status=201)


@routes.post(PREFIX + "/inbound/{sid}/retry")
@_guarded
async def inbound_retry(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    result = await emu.retry_inbound(request.match_info["sid"])
    return _json(result.to_json(), status=201)


@routes.post(PREFIX + "/reset")
@_guarded
async def reset(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    data = await _body(request)
    emu.reset(keep_config=bool(data.get("keep_config", True)))
    return _json({"ok": True})


@routes.route("OPTIONS", PREFIX + "/{tail:.*}")
async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=CORS)
