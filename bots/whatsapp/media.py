"""Media both ways: download what a person sent (Twilio's media URLs need the account's Basic auth
and redirect to a short-lived CDN URL) and delete it at Twilio once handled; publish files we send
(Twilio fetches a MediaUrl itself, so a stored file gets a public URL signed with the auth token;
nothing else under the data folder is served). A file published `once` (a family's data export) is
deleted as it is served: a second fetch finds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bots.twilio_http import TwilioUrlRewriter, basic_authorization

log = logging.getLogger(__name__)

FILES_PATH = "/twilio/files"
ONCE = "|once"  # signed with the path, so a link to a file served once cannot be made a lasting one


class MediaFetcher:
    """Downloads inbound media with the account's credentials, through the same URL rewriting as the
    REST client (so the emulator serves it in tests). Build and close inside the running loop."""

    def __init__(self, account_sid: str, auth_token: str, api_url: str, timeout: float = 30.0) -> None:
        self.rewrite = TwilioUrlRewriter(api_url)
        self.authorization = basic_authorization(account_sid, auth_token)
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def fetch(self, url: str, max_bytes: int) -> tuple[bytes, int]:
        """The bytes and the size; a file over `max_bytes` is not read (empty bytes, its size). A file
        that cannot be fetched comes back empty, so the person hears that it could not be read."""
        headers = {"Authorization": self.authorization}
        try:
            async with self.session.get(self.rewrite(url), headers=headers, allow_redirects=True) as resp:
                resp.raise_for_status()
                if resp.content_length is not None and resp.content_length > max_bytes:
                    return b"", resp.content_length
                data = await resp.content.read(max_bytes + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("twilio: media not downloaded (%s)", type(error).__name__)
            return b"", 0
        if len(data) > max_bytes:
            return b"", len(data)
        return data, len(data)

    async def delete(self, url: str) -> None:
        """Remove the media at Twilio once our own copy is stored (children's homework photos)."""
        headers = {"Authorization": self.authorization}
        try:
            async with self.session.delete(self.rewrite(url) + ".json", headers=headers) as resp:
                if resp.status not in (204, 404):
                    log.warning("twilio: media not deleted (HTTP %s)", resp.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("twilio: media not deleted (%s)", type(error).__name__)

    async def close(self) -> None:
        await self.session.close()


class PublicFiles:
    """Signed public URLs for stored files under `root`, and the route that serves them."""

    def __init__(self, root: Path, secret: str) -> None:
        self.root = root.resolve()
        self.secret = secret.encode()
        self.base_url = ""  # set once the public address is known (see bots.whatsapp.setup)

    def _signature(self, relative: str, once: bool) -> str:
        signed = relative + ONCE if once else relative
        return hmac.new(self.secret, signed.encode(), hashlib.sha256).hexdigest()[:32]

    def url(self, path: str, *, once: bool = False) -> str | None:
        """The public URL of a stored file; None for a file outside the data folder, or while no public
        address is known."""
        resolved = Path(path).resolve()
        if not self.base_url or not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        relative = resolved.relative_to(self.root).as_posix()
        url = f"{self.base_url}{FILES_PATH}/{self._signature(relative, once)}/{quote(relative)}"
        return url + "?once=1" if once else url

    async def serve(self, request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        once = request.query.get("once") == "1"
        if not hmac.compare_digest(self._signature(relative, once), request.match_info["signature"]):
            raise web.HTTPForbidden()
        resolved = (self.root / relative).resolve()
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            raise web.HTTPNotFound()
        if not once:
            return web.FileResponse(resolved)
        data = resolved.read_bytes()
        resolved.unlink(missing_ok=True)
        kind = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
        return web.Response(body=data, content_type=kind)

    def add_route(self, app: web.Application) -> None:
        app.router.add_get(FILES_PATH + "/{signature}/{path:.+}", self.serve)
