"""The Content API (`https://content.twilio.com/v1/Content`) and what a content message shows.

A Content resource (`HX…`) holds one or more content types; a message sent with its `ContentSid`
and `ContentVariables` takes the most complex type the channel supports: on WhatsApp a quick reply
(`twilio/quick-reply`: a body and 1–10 buttons, of which WhatsApp allows three in a session message
that was not approved) or a list (`twilio/list-picker`: a body, the list's button and 1–10 items);
by SMS the `twilio/text` fallback. `{{n}}` placeholders anywhere in a type take the variables (a
variable missing from the request takes the resource's sample value). The limits WhatsApp puts on
the parts (1,024 characters of body; a button title of 20; an item of 24, its description 72; an id
of 200) are checked once the variables are in: a message that breaks one is refused with 21656, as
its variables make the content invalid. A resource created here is not approved for WhatsApp, so it
goes only inside the 24-hour window (outside it: failed 63016, as Twilio does; a list can never be
approved).

REST (HTTP Basic auth, as the Messages API; JSON bodies):
    POST   /v1/Content          {"friendly_name", "language", "variables", "types"} → 201 resource
                                (no "types" → 400, 92001)
    GET    /v1/Content          {"contents": [...], "meta": {...}}
    GET    /v1/Content/{HX}     the resource
    DELETE /v1/Content/{HX}     204
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.twilio_emulator.control import EMULATOR
from sandbox.twilio_emulator.records import Channel, Template, TwilioApiError

if TYPE_CHECKING:
    from sandbox.twilio_emulator.emulator import TwilioEmulator

CONTENT_PATH = "/v1/Content"
CONTENT_HOST = "https://content.twilio.com"
TEXT = "twilio/text"
QUICK_REPLY = "twilio/quick-reply"
LIST_PICKER = "twilio/list-picker"
KNOWN_TYPES = frozenset(
    {
        TEXT,
        "twilio/media",
        QUICK_REPLY,
        LIST_PICKER,
        "twilio/call-to-action",
        "twilio/card",
        "twilio/location",
    }
)
# What WhatsApp shows of a content, most complex first; SMS shows the text.
PREFERENCE: dict[Channel, tuple[str, ...]] = {
    "whatsapp": (LIST_PICKER, QUICK_REPLY, TEXT),
    "sms": (TEXT,),
}
MAX_BODY = 1024
MAX_VARIABLE = 1600
MAX_SESSION_BUTTONS = 3
MAX_OPTIONS = 10
MAX_BUTTON_TITLE = 20
MAX_ITEM = 24
MAX_DESCRIPTION = 72
MAX_ID = 200
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class ContentError(ValueError):
    """A content that WhatsApp would not show as sent; `code` is the REST error to answer."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class Shown:
    """What the person sees of a content message: its text, and the buttons or list to tap."""

    type: str
    text: str
    button: str | None = None
    options: list[dict[str, str]] = field(default_factory=list)  # {"id", "title", "description"}

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "button": self.button, "options": self.options}


def create(emu: TwilioEmulator, data: dict[str, Any]) -> Template:
    """A Content resource from a create request's JSON (validated as the API does)."""
    types = data.get("types")
    if not isinstance(types, dict) or not types:
        raise ContentError(92001, "'types' parameter required")
    unknown = set(types) - KNOWN_TYPES
    if unknown:
        raise ContentError(92001, f"unknown content types: {sorted(unknown)}")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ContentError(92001, "'variables' must be an object")
    sid = emu.register_template(
        _text_of(types),
        language=str(data.get("language") or "en"),
        friendly_name=data.get("friendly_name"),
        defaults={str(k): str(v) for k, v in variables.items()},
        approved=False,
    )
    emu.templates[sid].types = types
    emu.templates[sid].date_created = emu.now()
    return emu.templates[sid]


def _text_of(types: dict[str, Any]) -> str:
    for kind in (TEXT, QUICK_REPLY, LIST_PICKER, *sorted(types)):
        part = types.get(kind)
        if isinstance(part, dict) and isinstance(part.get("body"), str):
            return str(part["body"])
    return ""


def resource(emu: TwilioEmulator, template: Template) -> dict[str, Any]:
    created = _iso(template.date_created or emu.now())
    url = f"{CONTENT_HOST}{CONTENT_PATH}/{template.content_sid}"
    return {
        "sid": template.content_sid,
        "account_sid": emu.account_sid,
        "friendly_name": template.friendly_name,
        "language": template.language,
        "variables": template.defaults,
        "types": template.types or {TEXT: {"body": template.body}},
        "url": url,
        "date_created": created,
        "date_updated": created,
        "links": {
            "approval_create": f"{url}/ApprovalRequests/whatsapp",
            "approval_fetch": f"{url}/ApprovalRequests",
        },
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def show(template: Template, variables: dict[str, str], channel: Channel) -> Shown:
    """The content as the channel shows it, with the variables filled in."""
    if any(len(value) > MAX_VARIABLE for value in variables.values()):
        raise ContentError(21658, "a variable is longer than 1600 characters")
    types = template.types or {TEXT: {"body": template.body}}
    kind = next((k for k in PREFERENCE[channel] if isinstance(types.get(k), dict)), None)
    if kind is None:
        raise ContentError(21656, f"no content type this channel shows ({channel})")

    def fill(value: Any) -> str:
        return PLACEHOLDER.sub(lambda m: _variable(template, variables, m.group(1)), str(value or ""))

    part = types[kind]
    text = fill(part.get("body"))
    if kind == QUICK_REPLY:
        options = [
            {"id": fill(a.get("id")), "title": fill(a.get("title"))} for a in part.get("actions") or []
        ]
        shown = Shown(kind, text, None, options)
    elif kind == LIST_PICKER:
        options = [
            {"id": fill(i.get("id")), "title": fill(i.get("item")), "description": fill(i.get("description"))}
            for i in part.get("items") or []
        ]
        shown = Shown(kind, text, fill(part.get("button")), options)
    else:
        shown = Shown(kind, text)
    _check(shown, session_message=not template.approved)
    return shown


def _variable(template: Template, variables: dict[str, str], name: str) -> str:
    if name in variables:
        return variables[name]
    if name in template.defaults:
        return template.defaults[name]
    raise ContentError(21656, f"variable {name} is not given")


def _check(shown: Shown, *, session_message: bool) -> None:
    """WhatsApp's limits on what it shows (the text type is a message body: 1600, checked apart)."""
    if shown.type == TEXT:
        return
    problems = []
    if len(shown.text) > MAX_BODY:
        problems.append("body over 1024 characters")
    if not 1 <= len(shown.options) <= MAX_OPTIONS:
        problems.append("1 to 10 options")
    if shown.type == QUICK_REPLY and session_message and len(shown.options) > MAX_SESSION_BUTTONS:
        problems.append("more than three buttons in a session message")
    title_limit = MAX_BUTTON_TITLE if shown.type == QUICK_REPLY else MAX_ITEM
    for option in shown.options:
        if not option["id"] or len(option["id"]) > MAX_ID:
            problems.append("an id of 1 to 200 characters")
        if not option["title"] or len(option["title"]) > title_limit:
            problems.append(f"a title of 1 to {title_limit} characters: {option['title']!r}")
        if len(option.get("description", "")) > MAX_DESCRIPTION:
            problems.append("a description over 72 characters")
    if shown.type == LIST_PICKER and not (shown.button and len(shown.button) <= MAX_BUTTON_TITLE):
        problems.append("a list button of 1 to 20 characters")
    if len({option["id"] for option in shown.options}) != len(shown.options):
        problems.append("option ids must differ")
    if problems:
        raise ContentError(21656, "; ".join(problems))


def tap_fields(shown: Shown, option_id: str) -> tuple[str, dict[str, str]]:
    """The inbound message a tap on one option sends: its body and the webhook's extra fields
    (ButtonPayload and ButtonText for a quick reply, ListId and ListTitle for a list item)."""
    option = next((o for o in shown.options if o["id"] == option_id), None)
    if option is None:
        raise KeyError(option_id)
    if shown.type == QUICK_REPLY:
        return option["title"], {"ButtonPayload": option["id"], "ButtonText": option["title"]}
    return option["title"], {"ListId": option["id"], "ListTitle": option["title"]}


routes = web.RouteTableDef()  # the Content API; each handler finds its emulator under `EMULATOR`


@routes.post(CONTENT_PATH)
async def create_handler(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    emu.authenticate(request)
    try:
        data = json.loads(await request.text() or "{}")
    except json.JSONDecodeError:
        raise TwilioApiError(92001) from None
    if not isinstance(data, dict):
        raise TwilioApiError(92001)
    try:
        template = create(emu, data)
    except ContentError as error:
        raise TwilioApiError(error.code) from None
    return web.json_response(resource(emu, template), status=201)


def _found(request: web.Request) -> Template:
    """The Content resource in the path (after the request's credentials are checked)."""
    emu = request.app[EMULATOR]
    emu.authenticate(request)
    template = emu.templates.get(request.match_info["sid"])
    if template is None:
        raise TwilioApiError(20404, uri=request.path)
    return template


@routes.get(CONTENT_PATH + "/{sid}")
async def fetch_handler(request: web.Request) -> web.Response:
    return web.json_response(resource(request.app[EMULATOR], _found(request)))


@routes.delete(CONTENT_PATH + "/{sid}")
async def delete_handler(request: web.Request) -> web.Response:
    del request.app[EMULATOR].templates[_found(request).content_sid]
    return web.Response(status=204)


@routes.get(CONTENT_PATH)
async def list_handler(request: web.Request) -> web.Response:
    emu = request.app[EMULATOR]
    emu.authenticate(request)
    contents = [resource(emu, t) for t in emu.templates.values()]
    url = f"{CONTENT_HOST}{CONTENT_PATH}?PageSize=50&Page=0"
    meta = {
        "page": 0,
        "page_size": 50,
        "first_page_url": url,
        "previous_page_url": None,
        "url": url,
        "next_page_url": None,
        "key": "contents",
    }
    return web.json_response({"contents": contents, "meta": meta})
