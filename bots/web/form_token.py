"""The token the monitoring pages' forms carry (the one-click reminder), so another site cannot make
a signed-in browser send one.

The token is a hash of the browser's session cookie, which no script and no other site can read
(HttpOnly, SameSite=Lax); a form posted from elsewhere cannot know it. A form must also say it
comes from this site when the browser names an origin (`same_origin`).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from aiohttp import web

from bots.web.auth import SESSION_COOKIE

FIELD = "form_token"


def token_for(session_id: str) -> str:
    return hashlib.sha256(f"form:{session_id}".encode()).hexdigest() if session_id else ""


def form_token(request: web.Request) -> str:
    return token_for(request.cookies.get(SESSION_COOKIE, ""))


def same_origin(request: web.Request) -> bool:
    stated = request.headers.get("Origin") or request.headers.get("Referer")
    if stated is None:
        return True
    return urlsplit(stated).netloc.lower() == request.host.lower()


def carries_token(request: web.Request, sent: object) -> bool:
    expected = form_token(request)
    return (
        bool(expected)
        and isinstance(sent, str)
        and hmac.compare_digest(sent, expected)
        and same_origin(request)
    )
