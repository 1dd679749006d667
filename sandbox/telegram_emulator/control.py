"""The control API over HTTP: ``/_emulator/...`` JSON endpoints mirroring the emulator's Python methods."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from .limits import RateLimits
from .params import ApiError, Params, read_request
from .state import Chat, ChatMessage, Json

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
EMULATOR: web.AppKey[TelegramEmulator] = web.AppKey("telegram_emulator")
PREFIX = "/_emulator"
routes = web.RouteTableDef()  # the control API; each handler finds its emulator under EMULATOR


def _chat_json(chat: Chat) -> Json:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "user_id": chat.user.id if chat.user else None,
        "members": {str(uid): status for uid, status in chat.members.items()},
        "bot_status": chat.bot_status,
        "blocked": chat.blocked,
        "started": chat.started,
        "migrated_to": chat.migrated_to,
        "reply_keyboard": chat.reply_keyboard,
    }


def _messages(records: list[ChatMessage]) -> Json:
    return {"messages": [r.to_json() for r in records]}


def _guard(handler: Handler) -> Handler:
    """A control call's mistakes answered as JSON errors: unknown id 404, bad input 400, timeout 408."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0]) if exc.args else "not found"}, status=404)
        except (ValueError, TypeError, ApiError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except TimeoutError as exc:
            return web.json_response({"error": str(exc)}, status=408)

    return wrapped


def _int(params: Params, name: str, *, required: bool = True) -> int | None:
    value = params.raw(name)
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return None
    return int(value)


def _str(params: Params, name: str, *, required: bool = False) -> str | None:
    value = params.raw(name)
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return None
    return str(value)


def _bytes(params: Params, field: str = "data_base64") -> bytes:
    """File bytes from a multipart ``file`` part or a base64 JSON field."""
    upload = params.files.get("file")
    if upload is not None:
        return upload.data
    value = params.raw(field)
    if not isinstance(value, str):
        raise ValueError(f"send the bytes as a multipart 'file' part or as base64 in {field!r}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError(f"{field} is not valid base64") from None


@routes.get(PREFIX + "/state")
@_guard
async def state(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return web.json_response(
        {
            "bot": emu.bot.to_json(),
            "users": [u.to_json() for u in emu.users],
            "chats": [_chat_json(c) for c in emu.chats],
            "webhook": emu.webhook_info(),
            "rate_limits": dataclasses.asdict(emu.rate_limits),
            "pending_updates": len(emu.pending_updates),
        }
    )


@routes.post(PREFIX + "/reset")
@_guard
async def reset(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    emu.reset()
    return web.json_response({"ok": True})


@routes.post(PREFIX + "/users")
@_guard
async def add_user(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    user = emu.add_user(
        _int(p, "id") or 0,
        _str(p, "first_name", required=True) or "",
        last_name=_str(p, "last_name"),
        username=_str(p, "username"),
        language_code=_str(p, "language_code"),
        has_started=p.flag("has_started", default=True),
    )
    return web.json_response(user.to_json())


@routes.post(PREFIX + "/groups")
@_guard
async def add_group(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    members = p.json("members") or []
    chat = emu.add_group(
        _int(p, "id") or 0,
        _str(p, "title", required=True) or "",
        [int(m) for m in members],
        creator_id=_int(p, "creator_id", required=False),
        supergroup=p.flag("supergroup"),
        bot_is_member=p.flag("bot_is_member", default=True),
    )
    return web.json_response(_chat_json(chat))


@routes.post(PREFIX + "/groups/{chat_id}/members")
@_guard
async def add_member(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    chat_id = int(request.match_info["chat_id"])
    emu.add_member(chat_id, _int(p, "user_id") or 0)
    return web.json_response(_chat_json(emu.chat(chat_id)))


@routes.post(PREFIX + "/groups/{chat_id}/bot")
@_guard
async def bot_membership(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    chat_id = int(request.match_info["chat_id"])
    action = _str(p, "action", required=True)
    by = _int(p, "by_user_id") or 0
    if action == "add":
        emu.add_bot_to_group(chat_id, by, as_admin=p.flag("as_admin"))
    elif action == "remove":
        emu.remove_bot_from_group(chat_id, by)
    else:
        raise ValueError("action is 'add' or 'remove'")
    return web.json_response(_chat_json(emu.chat(chat_id)))


@routes.post(PREFIX + "/groups/{chat_id}/migrate")
@_guard
async def migrate(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    new_id = emu.migrate_group(
        int(request.match_info["chat_id"]),
        _int(p, "new_chat_id", required=False),
        by_user_id=_int(p, "by_user_id", required=False),
    )
    return web.json_response({"migrate_to_chat_id": new_id})


def _user_id(request: web.Request) -> int:
    return int(request.match_info["user_id"])


@routes.post(PREFIX + "/users/{user_id}/text")
@_guard
async def inject_text(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    message = emu.inject_text(
        _user_id(request),
        _str(p, "text", required=True) or "",
        chat_id=_int(p, "chat_id", required=False),
        reply_to=_int(p, "reply_to", required=False),
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/photo")
@_guard
async def inject_photo(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    message = emu.inject_photo(
        _user_id(request),
        _bytes(p),
        chat_id=_int(p, "chat_id", required=False),
        caption=_str(p, "caption"),
        media_group_id=_str(p, "media_group_id"),
        reply_to=_int(p, "reply_to", required=False),
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/album")
@_guard
async def inject_album(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    photos = p.json("photos_base64")
    if not isinstance(photos, list):
        raise ValueError("photos_base64 is a list of base64 strings")
    messages = emu.inject_album(
        _user_id(request),
        [base64.b64decode(x, validate=True) for x in photos],
        chat_id=_int(p, "chat_id", required=False),
        caption=_str(p, "caption"),
    )
    return web.json_response({"messages": messages})


@routes.post(PREFIX + "/users/{user_id}/document")
@_guard
async def inject_document(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    upload = p.files.get("file")
    name = _str(p, "file_name") or (upload.filename if upload else None)
    if not name:
        raise ValueError("file_name is required")
    message = emu.inject_document(
        _user_id(request),
        _bytes(p),
        name,
        mime_type=_str(p, "mime_type") or (upload.content_type if upload else None),
        chat_id=_int(p, "chat_id", required=False),
        caption=_str(p, "caption"),
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/voice")
@_guard
async def inject_voice(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    message = emu.inject_voice(
        _user_id(request),
        _bytes(p),
        duration=_int(p, "duration", required=False) or 1,
        chat_id=_int(p, "chat_id", required=False),
        reply_to=_int(p, "reply_to", required=False),
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/sticker")
@_guard
async def inject_sticker(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    message = emu.inject_sticker(
        _user_id(request), _str(p, "emoji") or "👍", chat_id=_int(p, "chat_id", required=False)
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/contact")
@_guard
async def inject_contact(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    message = emu.inject_contact(
        _user_id(request),
        _str(p, "phone_number", required=True) or "",
        chat_id=_int(p, "chat_id", required=False),
    )
    return web.json_response({"message": message})


@routes.post(PREFIX + "/users/{user_id}/press")
@_guard
async def press(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    query_id = emu.press_button(
        _user_id(request),
        _int(p, "message_id") or 0,
        _str(p, "callback_data", required=True) or "",
        chat_id=_int(p, "chat_id", required=False),
    )
    return web.json_response({"callback_query_id": query_id})


def _chat_id(request: web.Request) -> int:
    return int(request.match_info["chat_id"])


@routes.get(PREFIX + "/chats/{chat_id}/messages")
@_guard
async def chat_messages(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    cid = _chat_id(request)
    emu.chat(cid)
    include_deleted = request.query.get("include_deleted") in ("1", "true")
    if request.query.get("all") in ("1", "true"):
        return web.json_response(_messages(emu.history(cid, include_deleted=include_deleted)))
    return web.json_response(_messages(emu.sent(cid, include_deleted=include_deleted)))


@routes.get(PREFIX + "/chats/{chat_id}/wait")
@_guard
async def wait(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    count = int(request.query.get("count", "1"))
    timeout = float(request.query.get("timeout", "5"))
    return web.json_response(_messages(await emu.wait_for_messages(_chat_id(request), count, timeout)))


@routes.post(PREFIX + "/chats/{chat_id}/blocked")
@_guard
async def blocked(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    emu.set_blocked(_chat_id(request), p.flag("blocked", default=True), notify=p.flag("notify", default=True))
    return web.json_response(_chat_json(emu.chat(_chat_id(request))))


@routes.post(PREFIX + "/chats/{chat_id}/rate_limit")
@_guard
async def chat_rate_limit(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    emu.limit_chat(
        _chat_id(request),
        float(p.raw("retry_after") or 0),
        from_next_send=p.flag("from_next_send", default=False),
    )
    return web.json_response({"ok": True})


@routes.get(PREFIX + "/changes")
@_guard
async def changes(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    since = int(request.query.get("since", "0"))
    found = emu.changes(since)
    last = max([r.seq for r in found], default=since)
    return web.json_response({**_messages(found), "last_seq": last})


@routes.get(PREFIX + "/files/{file_id}")
@_guard
async def file(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    stored = emu.file(request.match_info["file_id"])
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")


@routes.get(PREFIX + "/rate_limits")
@_guard
async def get_limits(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return web.json_response(dataclasses.asdict(emu.rate_limits))


@routes.put(PREFIX + "/rate_limits")
@_guard
async def put_limits(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    p = await read_request(request)
    if p.flag("unlimited") or not p.values:
        emu.set_rate_limits(None)
    else:
        names = {f.name for f in dataclasses.fields(RateLimits)}
        unknown = set(p.values) - names
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        emu.set_rate_limits(dataclasses.replace(RateLimits(), **p.values))
    return web.json_response(dataclasses.asdict(emu.rate_limits))


@routes.get(PREFIX + "/webhook/deliveries")
@_guard
async def deliveries(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return web.json_response({"deliveries": [d.to_json() for d in emu.webhook_deliveries]})


@routes.get(PREFIX + "/callback_answers")
@_guard
async def answers(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return web.json_response({"answers": emu.callback_answers})


@routes.get(PREFIX + "/updates")
@_guard
async def updates(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    return web.json_response({"updates": emu.pending_updates})
