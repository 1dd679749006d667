"""A page a tutor cannot read is flagged by the photo pipeline, on the pixels it decodes anyway:
too small, too dark, too blurred. The measures and their limits are in photos/legibility.py; these
pages are the ones it was tuned on: typed lines of three sizes, faint pencil, a single line."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from photos.pipeline import normalise

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
PAPER, INK, PENCIL = (235, 232, 225), (30, 30, 60), (190, 190, 190)


def written(
    size: tuple[int, int] = (1280, 960), *, font: int = 26, lines: int | None = None, ink: tuple = INK
) -> Image.Image:
    """A page of written lines, as a phone photographs it."""
    rng = random.Random(1)
    page = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(page)
    face = ImageFont.load_default(size=font)
    top, count = 40, 0
    while top < size[1] - 40 and (lines is None or count < lines):
        words = (
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789+=") for _ in range(5)) for _ in range(40)
        )
        draw.text((40, top), " ".join(words), fill=ink, font=face)
        top, count = top + int(font * 1.7), count + 1
    return page


def jpeg(image: Image.Image, *, rotated: bool = False) -> bytes:
    """As sent: a plain JPEG (kept as it is), or one with an EXIF rotation (decoded and re-encoded)."""
    out = io.BytesIO()
    exif = Image.Exif()
    if rotated:
        exif[0x0112] = 3  # upside down: the pipeline turns it, so it re-encodes
    image.save(out, "JPEG", quality=87, exif=exif.tobytes())
    return out.getvalue()


PAGES = {
    "typed": written(),
    "small type": written(font=14),
    "one line": written(lines=1),
    "faint pencil": written(ink=PENCIL),
    "2000 px": written((2000, 1500), font=30),
}


@pytest.mark.parametrize("rotated", [False, True], ids=["kept", "re-encoded"])
@pytest.mark.parametrize("name", list(PAGES))
def test_a_sharp_page_is_readable(name: str, rotated: bool) -> None:
    assert normalise(jpeg(PAGES[name], rotated=rotated), **LIMITS).unreadable is None


@pytest.mark.parametrize("rotated", [False, True], ids=["kept", "re-encoded"])
@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_blurred_over_ten_pixels_is_blurred(name: str, rotated: bool) -> None:
    blurred = PAGES[name].filter(ImageFilter.GaussianBlur(10))
    assert normalise(jpeg(blurred, rotated=rotated), **LIMITS).unreadable == "blurred"


@pytest.mark.parametrize("rotated", [False, True], ids=["kept", "re-encoded"])
def test_a_dim_page_is_readable_and_a_dark_one_is_dark(rotated: bool) -> None:
    dim = ImageEnhance.Brightness(PAGES["typed"]).enhance(0.5)
    dark = ImageEnhance.Brightness(PAGES["typed"]).enhance(0.2)
    assert normalise(jpeg(dim, rotated=rotated), **LIMITS).unreadable is None
    assert normalise(jpeg(dark, rotated=rotated), **LIMITS).unreadable == "dark"


def test_a_dark_page_is_not_also_called_blurred() -> None:
    """Brightness divides the edge measure: a dark page is dark, and the advice is the window."""
    dark = ImageEnhance.Brightness(PAGES["typed"]).enhance(0.15)
    assert normalise(jpeg(dark), **LIMITS).unreadable == "dark"


def test_a_small_photo_is_small_whatever_it_shows() -> None:
    assert normalise(jpeg(written((480, 360), font=10)), **LIMITS).unreadable == "small"
    assert normalise(jpeg(written((640, 480), font=12)), **LIMITS).unreadable is None


def test_a_blank_page_has_nothing_to_read() -> None:
    assert normalise(jpeg(Image.new("RGB", (1280, 960), PAPER)), **LIMITS).unreadable == "blurred"


def test_a_png_is_measured_too() -> None:
    out = io.BytesIO()
    PAGES["typed"].filter(ImageFilter.GaussianBlur(10)).save(out, "PNG")
    assert normalise(out.getvalue(), **LIMITS).unreadable == "blurred"
