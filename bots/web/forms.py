"""Cross-site forms: every state-changing request to the dashboard (a POST under /dashboard) must
come from the dashboard's own pages.

Two checks, both needed to pass:

* the form token: a random value kept in a cookie of its own (`FORM_COOKIE`: HttpOnly,
  SameSite=Strict, Secure over https) and written by the page into a hidden field of each form
  (`FIELD`). Another site can make a browser post a form, but cannot read the cookie to fill in
  the field;
* the origin: a browser says where a POST comes from (Origin, or Referer when Origin is missing);
  when it does, that must be this site (the host the request was sent to, or PUBLIC_BASE_URL's).

Anything else is answered 403 with a page saying to reload and try again, and changes nothing.
Without these, only `SameSite=Lax` on the session cookie stood in the way, and a cross-site upload
with "apply" did change a roster.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bots.posted import posted_form
from bots.web.i18n import render
from bots.web.site import SITE

FORM_COOKIE = "ustaz_form"
FIELD = "form_token"
GUARDED_PREFIX = "/dashboard"
NEW_TOKEN = web.RequestKey("new_form_token", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def form_token(request: web.Request) -> str:
    """This browser's form token, for the page being rendered: the cookie's, or a new one that
    `guard_forms` sets on the response."""
    found = request.cookies.get(FORM_COOKIE) or request.get(NEW_TOKEN)
    if found:
        return found
    token = secrets.token_urlsafe(24)
    request[NEW_TOKEN] = token
    return token


def from_this_site(request: web.Request) -> bool:
    """Whether the browser's Origin (or Referer) names this site; a request that names none (not a
    browser form) passes this check and still needs the token."""
    stated = request.headers.get("Origin") or request.headers.get("Referer")
    if stated is None:
        return True
    where = urlsplit(stated)
    if stated == "null" or not where.netloc:
        return False
    public = urlsplit(request.app[SITE].settings.public_base_url)
    ours = {request.host.lower(), public.netloc.lower()} - {""}
    return where.netloc.lower() in ours


async def carries_token(request: web.Request) -> bool:
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected:
        return False
    form = await posted_form(request)  # parsed once; the handler gets the same form
    sent = form.get(FIELD) if form is not None else None
    return isinstance(sent, str) and secrets.compare_digest(sent, expected)


@web.middleware
async def guard_forms(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a dashboard POST that fails either check; hand a new token's cookie to the browser."""
    guarded = request.method == "POST" and request.path.startswith(GUARDED_PREFIX)
    if guarded and not (from_this_site(request) and await carries_token(request)):
        return render(request, "form_refused.html", status=403)
    response = await handler(request)
    token = request.get(NEW_TOKEN)
    if token is not None:
        response.set_cookie(
            FORM_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=request.app[SITE].settings.https,
            path=GUARDED_PREFIX,
        )
    return response
