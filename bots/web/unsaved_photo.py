"""The photo of a paper application whose save was refused for another field (a day typed
mm/dd/yyyy, no parent chosen), kept so that the person need not choose the file again.

What is kept is the photo pipeline's own JPEG (pixels only), never the file as sent. One photo per
browser, reader and pupil: its name is a hash of the form token (the browser's, from its cookie),
the reader's id and the pupil's id, so neither the token nor a name is written to disk, and another
browser or another reader signed in on this one cannot use it. It lies outside the media folder (not
in backups, not a record), and a photo older than `MAX_AGE` is deleted at the next save of any paper
form and never used: a form left for longer has its photo chosen again.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import NamedTuple

from settings import Settings

MAX_AGE = 3600.0  # seconds
FOLDER = ("unsaved", "applications")


def _folder(settings: Settings) -> Path:
    return settings.data_dir.joinpath(*FOLDER)


class Place(NamedTuple):
    """Whose form a kept photo belongs to: this browser's form token, the reader, the pupil."""

    settings: Settings
    token: str
    reader: int
    pupil: int


def _path(place: Place) -> Path:
    name = hashlib.sha256(f"{place.token}:{place.reader}:{place.pupil}".encode()).hexdigest()
    return _folder(place.settings) / f"{name}.jpg"


def keep(place: Place, jpeg: bytes) -> None:
    """Keep the pipeline's JPEG of this form's photo, replacing one kept before."""
    path = _path(place)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_bytes(jpeg)
    part.replace(path)


def kept(place: Place) -> bytes | None:
    """The photo kept for this form, or None when there is none or it is older than MAX_AGE."""
    path = _path(place)
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE:
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def drop(place: Place) -> None:
    """Forget this form's photo: the person sent the form without it, or chose one that is refused."""
    _path(place).unlink(missing_ok=True)


def sweep(settings: Settings) -> int:
    """Delete every kept photo older than MAX_AGE; how many were deleted."""
    folder = _folder(settings)
    if not folder.is_dir():
        return 0
    limit = time.time() - MAX_AGE
    gone = 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
        except FileNotFoundError:
            continue  # another save swept it a moment ago
    return gone
