"""A photo the visitor attaches in the chat pane, read with a size limit (Telegram's for bots)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

MAX_PHOTO_BYTES = 20 * 1024 * 1024


def read_photo(form: Mapping[str, object]) -> tuple[bytes, web.FileField]:
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(text="choose a photo")
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_PHOTO_BYTES, actual_size=len(data))
    return data, upload
