"""Point the real `twilio` client at any base URL (the local emulator, a recording proxy).

The client has no base-URL setting: every resource builds absolute URLs on its own domain
(api.twilio.com, messaging.twilio.com, content.twilio.com, regional hosts such as
api.dublin.ie1.twilio.com …) and hands them to the HTTP client. These HTTP clients rewrite scheme and
host of every *.twilio.com URL to the configured base URL, keeping path and query (a path prefix of the
base URL is prepended), and leave other URLs alone. With a base URL on twilio.com itself nothing is
rewritten, so the production setting `https://api.twilio.com` keeps every domain where it is.

    client = Client(sid, token, http_client=RewritingHttpClient("http://127.0.0.1:8701"))
    client = Client(sid, token, http_client=AsyncRewritingHttpClient(url))  # inside a running loop
    await client.messages.create_async(...)
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_DOMAIN = "twilio.com"


def is_twilio_host(host: str | None) -> bool:
    host = (host or "").lower().rstrip(".")
    return host == TWILIO_DOMAIN or host.endswith("." + TWILIO_DOMAIN)


def basic_authorization(login: str, password: str) -> str:
    """The value of an HTTP Basic `Authorization` header."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode("ascii")


class TwilioUrlRewriter:
    """Maps `https://<anything>.twilio.com/<path>?<query>` to `<base>/<path>?<query>`."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
        self.base_url = base_url
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")
        self.active = not is_twilio_host(parts.hostname)

    def __call__(self, url: str) -> str:
        if not self.active:
            return url
        parts = urlsplit(url)
        if not is_twilio_host(parts.hostname):
            return url
        return urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )


class RewritingHttpClient(TwilioHttpClient):
    """`TwilioHttpClient` (requests) that sends every Twilio request to `base_url`."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rewrite = TwilioUrlRewriter(base_url)
        # the parent mounts its pool/retry adapter for https:// only; a local base URL is plain http
        if self.session is not None:
            max_retries = kwargs.get("max_retries")
            adapter = (
                HTTPAdapter(max_retries=max_retries)
                if max_retries is not None
                else HTTPAdapter(pool_maxsize=min(32, (os.cpu_count() or 1) + 4))
            )
            self.session.mount("http://", adapter)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class AsyncRewritingHttpClient(AsyncTwilioHttpClient):
    """`AsyncTwilioHttpClient` (aiohttp) that sends every Twilio request to `base_url`.

    Like its parent it opens an aiohttp session at construction: build it inside a running event loop,
    and `await client.close()` (or use it as an async context manager) when done.
    """

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rewrite = TwilioUrlRewriter(base_url)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            # the parent would wrap it in aiohttp.BasicAuth, deprecated since aiohttp 3.14: same header
            headers = {**(headers or {}), "Authorization": basic_authorization(*auth)}
        body: Any = data
        if data is not None and (headers or {}).get("Content-Type") == "application/json":
            # The Content API takes JSON; the parent hands the dict to aiohttp, which would send it
            # form-encoded under a JSON header (the requests-based client encodes it as JSON).
            body = json.dumps(data)
        return await super().request(
            method,
            self.rewrite(url),
            params=params,
            data=body,
            headers=headers,
            auth=None,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def make_twilio_client(
    account_sid: str, auth_token: str, api_url: str, *, asynchronous: bool = False, **http_kwargs: Any
) -> Client:
    """A `twilio.rest.Client` whose requests go to `api_url` (settings.twilio_api_url).

    With `asynchronous=True` the client uses the aiohttp client (call it inside a running loop) and the
    `*_async` methods; close it with `await client.http_client.close()`.
    """
    http_client: TwilioHttpClient | AsyncTwilioHttpClient = (
        AsyncRewritingHttpClient(api_url, **http_kwargs)
        if asynchronous
        else RewritingHttpClient(api_url, **http_kwargs)
    )
    return Client(account_sid, auth_token, http_client=http_client)
