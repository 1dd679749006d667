"""A file attached to an announcement: a photo goes through the photo pipeline (checked, EXIF and
GPS stripped); another file (a worksheet, a PDF) is kept as it is, named by its hash."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from handlers.context import Turn
from handlers.homework import store_uploads
from handlers.types import Reply, Upload
from locales import T


def store_attachment(turn: Turn, upload: Upload, folder: str) -> tuple[str | None, list[Reply]]:
    """The stored path (or None) and the replies refusing the file."""
    if upload.content_type.startswith("image/") or not upload.as_document:
        stored, refused = store_uploads(turn, (upload,), folder)
        return (str(stored[0].path) if stored else None), refused
    limit = turn.config.max_photo_bytes
    if upload.size > limit or len(upload.data) > limit:
        return None, [Reply(T("homework.photo.too_big", limit=limit // (1024 * 1024)))]
    if not upload.data:
        return None, [Reply(T("homework.photo.broken"))]
    digest = hashlib.sha256(upload.data).hexdigest()
    suffix = Path(upload.filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"
    path = turn.config.media_dir / folder / digest[:2] / f"{digest}{suffix}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_bytes(upload.data)
        part.replace(path)
    return str(path), []
