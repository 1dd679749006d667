"""A person's uploads before their turn: each one run through the photo pipeline ahead of the turn's
transaction, so the turn finds the clean page or the reason it is refused (`Upload.page`,
`Upload.refused`).

The bot runs `prepare` in its photo worker processes (`bots.turns`), whose fork server preloads this
module: it imports the inbound seam and the pipeline only, so the workers hold Pillow and the photo
code, not the store.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.types import Inbound, Upload
from photos.pipeline import Page, PhotoRejected, normalise


def normalise_upload(upload: Upload, *, max_bytes: int, max_pixels: int) -> Page:
    """The clean page of an upload (worked out already by `prepare`, or now), or PhotoRejected."""
    if upload.refused:
        raise PhotoRejected(upload.refused)
    if upload.page is not None:
        return upload.page
    if upload.size > max_bytes:  # not even downloaded
        raise PhotoRejected("too_big")
    return normalise(upload.data, max_bytes=max_bytes, max_pixels=max_pixels)


def prepare(inbound: Inbound, *, max_bytes: int, max_pixels: int) -> Inbound:
    """Run the pipeline on every upload before the turn opens its transaction, so decoding and
    encoding (tens of milliseconds a page) never hold the store's write lock and pages of different
    people are worked on side by side."""
    if not inbound.uploads:
        return inbound
    prepared = []
    for upload in inbound.uploads:
        if upload.page is not None or upload.refused is not None or upload.is_sound:
            prepared.append(upload)  # the adapter has run the pipeline already, or it is no picture
            continue
        try:
            page = normalise_upload(upload, max_bytes=max_bytes, max_pixels=max_pixels)
            prepared.append(replace(upload, page=page))
        except PhotoRejected as rejected:
            prepared.append(replace(upload, refused=rejected.reason))
    return replace(inbound, uploads=tuple(prepared))


def refuse_all(inbound: Inbound, reason: str) -> Inbound:
    """Every upload not yet worked on, refused for `reason` (the pipeline could not run)."""
    uploads = tuple(
        upload if upload.page is not None or upload.refused is not None else replace(upload, refused=reason)
        for upload in inbound.uploads
    )
    return replace(inbound, uploads=uploads)
