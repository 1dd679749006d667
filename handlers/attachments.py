"""Files a person sends, kept in the turn: pages of homework through the photo pipeline's result,
and a file attached to a task or an announcement — a photo as a page (checked, EXIF and GPS
stripped), another file (a worksheet, a PDF) as it is, named by its hash. One place answers each
refused file in the person's language."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from handlers.context import Turn
from handlers.types import Reply, Upload
from handlers.uploads import normalise_upload
from locales import T
from photos.pipeline import PhotoRejected, StoredPhoto, store

log = logging.getLogger(__name__)

# Why a file is refused (`PhotoRejected.reason`) → what the person is told; anything else is
# "not an image".
REFUSALS = {
    "too_many_pixels": "homework.photo.too_many_pixels",
    "broken": "homework.photo.broken",
}
SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")


def refusal(turn: Turn, reason: str) -> Reply:
    if reason == "too_big":
        return Reply(T("homework.photo.too_big", limit=turn.config.max_photo_bytes // (1024 * 1024)))
    return Reply(T(REFUSALS.get(reason, "homework.photo.not_image")))


def store_uploads(
    turn: Turn, uploads: tuple[Upload, ...], folder: str
) -> tuple[list[StoredPhoto], list[Reply]]:
    """Check and store each upload as a page under `folder`; the stored pages and a reply for each
    one refused."""
    stored: list[StoredPhoto] = []
    refused: list[Reply] = []
    for upload in uploads:
        try:
            page = normalise_upload(
                upload, max_bytes=turn.config.max_photo_bytes, max_pixels=turn.config.max_photo_pixels
            )
            stored.append(store(page, turn.config.media_dir / folder))
        except PhotoRejected as rejected:
            log.info(
                "upload refused: %s (person %s)", rejected.reason, turn.person.id if turn.person else None
            )
            refused.append(refusal(turn, rejected.reason))
    return stored, refused


def store_attachment(turn: Turn, upload: Upload, folder: str) -> tuple[str | None, list[Reply]]:
    """The stored path (or None) and the replies refusing the file."""
    if upload.content_type.startswith("image/") or not upload.as_document:
        stored, refused = store_uploads(turn, (upload,), folder)
        return (str(stored[0].path) if stored else None), refused
    limit = turn.config.max_photo_bytes
    if upload.size > limit or len(upload.data) > limit:
        return None, [refusal(turn, "too_big")]
    if not upload.data:
        return None, [refusal(turn, "broken")]
    digest = hashlib.sha256(upload.data).hexdigest()
    suffix = Path(upload.filename).suffix.lower()
    suffix = suffix if SUFFIX.fullmatch(suffix) else ".bin"
    path = turn.config.media_dir / folder / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(upload.data)
        part.replace(path)
    return str(path), []
