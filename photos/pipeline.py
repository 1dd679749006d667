"""Homework photos: check, re-orient, strip, store as our own normalised JPEG.

Order matters for safety: byte size before opening, format and pixel count from the header before
decoding (a decompression bomb is refused without being decoded), then decode, apply the EXIF
orientation, drop every metadata block (EXIF, GPS, XMP, ICC comments), and save a fresh JPEG whose
sha256 is the receipt's hash.

A JPEG that is already what a page should be (RGB, upright, no longer than MAX_SIDE: what Telegram
makes of every photo) keeps its compressed data: its metadata segments are dropped
(`jpeg_markers`), and the result is decoded at an eighth of its size, which still reads every
scan, to prove it whole. That is about a sixth of the work of decoding and re-encoding it.

Either way the page's legibility is judged on an eighth-size image (`photos.legibility`): the one
decoded to prove a kept JPEG whole, or the re-encoded page reduced to it.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from photos.jpeg_markers import without_metadata
from photos.legibility import SCALE, eighth, unreadable

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO", "BMP", "TIFF", "GIF"}
# Stored pages are scaled down to this long side: about 170 dpi on an A4 sheet, plenty for handwriting
# (Telegram itself sends photos at 1280), kind to disks, and it lets a 12-megapixel JPEG be decoded
# at half scale (JPEG's DCT scaling, `Image.draft`), four times less work and memory.
MAX_SIDE = 2000
JPEG_QUALITY = 85
EXIF_ORIENTATION = 0x0112


class PhotoRejected(ValueError):
    """Why an upload is not a usable page: too_big, not_image, too_many_pixels, broken."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Page:
    """A clean page: our own JPEG, its size, and why a tutor could not read it (None: they can)."""

    jpeg: bytes
    width: int
    height: int
    unreadable: str | None = None


@dataclass(frozen=True)
class StoredPhoto:
    path: Path
    sha256: str
    size: int
    width: int
    height: int
    unreadable: str | None = None


def normalise(data: bytes, *, max_bytes: int, max_pixels: int) -> Page:
    """The clean page of an upload, or PhotoRejected."""
    if len(data) > max_bytes:
        raise PhotoRejected("too_big")
    if not data:
        raise PhotoRejected("broken")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("too_many_pixels") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise PhotoRejected("not_image") from None
        with image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoRejected("not_image")
            width, height = image.size
            if width * height > max_pixels:
                raise PhotoRejected("too_many_pixels")
            kept = _kept_as_sent(image, data)
            if kept is not None:
                return kept
            try:
                if max(width, height) > MAX_SIDE:  # JPEG only; a no-op for other formats
                    scale = MAX_SIDE / max(width, height)
                    image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
                image.load()
                ImageOps.exif_transpose(image, in_place=True)
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
                raise PhotoRejected("broken") from None
            # No copies beyond what is needed: a phone's RGB JPEG is re-encoded as it is.
            page = image if image.mode == "RGB" else image.convert("RGB")
            if max(page.size) > MAX_SIDE:
                page.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # Pillow would carry a JPEG comment over from the original: write none, and no EXIF.
            page.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, exif=b"", comment=b"")
            reason = unreadable(eighth(page), page.width, page.height)
            return Page(out.getvalue(), page.width, page.height, reason)


def _kept_as_sent(image: Image.Image, data: bytes) -> Page | None:
    """The JPEG without its metadata if it needs nothing else and decodes whole, else None."""
    if image.format != "JPEG" or image.mode != "RGB" or max(image.size) > MAX_SIDE:
        return None
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
        return None
    clean = without_metadata(data)
    if clean is None:
        return None
    try:
        with Image.open(io.BytesIO(clean)) as stripped:
            if stripped.format != "JPEG" or stripped.size != image.size or stripped.mode != "RGB":
                return None
            stripped.draft("RGB", (math.ceil(image.width / SCALE), math.ceil(image.height / SCALE)))
            stripped.load()
            reason = unreadable(stripped, image.width, image.height)
    except (OSError, ValueError, SyntaxError):
        return None  # decoded the long way, which tells a broken file from one this cannot follow
    return Page(clean, image.width, image.height, reason)


def store(page: Page, folder: Path) -> StoredPhoto:
    """Content-addressed: the same page stored twice is one file."""
    jpeg = page.jpeg
    digest = hashlib.sha256(jpeg).hexdigest()
    path = folder / digest[:2] / f"{digest}.jpg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(jpeg)
        tmp.replace(path)
    return StoredPhoto(
        path=path,
        sha256=digest,
        size=len(jpeg),
        width=page.width,
        height=page.height,
        unreadable=page.unreadable,
    )


def pages_to_pdf(paths: list[Path]) -> bytes:
    """All pages of a submission as one PDF, for the tutor."""
    pages = [Image.open(p).convert("RGB") for p in paths]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:])
    return out.getvalue()
