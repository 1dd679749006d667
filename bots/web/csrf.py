"""Tokens on the dashboard's forms that change something: each form carries a token derived from the
signed-in person's session id, and the POST is refused without it.

The session cookie is HttpOnly and SameSite=Lax; the token adds that another site's page, which can
neither read the cookie nor this page, cannot know the value to post. It is the session id's hash
under a label of its own, so no second secret needs storing and every process behind the proxy agrees.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from aiohttp import web

from bots.web.auth import SESSION_COOKIE
from bots.web.i18n import page_language
from locales import translate

FIELD = "csrf"
_LABEL = b"ustaz dashboard form:"


def token(request: web.Request) -> str:
    """The token for the forms of the page answering `request` (empty when not signed in)."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id:
        return ""
    return hashlib.sha256(_LABEL + session_id.encode()).hexdigest()


def check(request: web.Request, form: Mapping[str, object]) -> None:
    """Refuse (403) a POST whose form does not carry the token of the request's session."""
    expected = token(request)
    sent = form.get(FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden(text=translate(page_language(request), "web.form.stale"))
