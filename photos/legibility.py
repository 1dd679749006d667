"""Whether a tutor can read a page, judged from the pixels the pipeline has decoded anyway: an image
at an eighth of the page's size (a kept JPEG is decoded at that scale to prove it whole; a page that
is re-encoded is reduced to it, a few milliseconds), so the photo path costs about what it did.

* small: the page's long side is under `MIN_LONG_SIDE` pixels — handwriting is a few pixels high;
* dark: its mean brightness is under `DARK_BELOW` of 255;
* blurred: its sharpest edges are faint — the 99th percentile of the Laplacian's size, over the
  mean brightness (so a dim page is not taken for a soft one), is under `BLURRED_BELOW`. At an
  eighth of the size only a blur that smears strokes across several pixels shows, which is the blur
  that makes a page unreadable: sharp pages measure 0.21 (faint pencil) to 1.8 (bold type), the
  same pages blurred over eight to ten pixels 0.04–0.15 (tests/photos/test_legibility.py).

A blank page has no edges and counts as blurred: there is nothing on it to read either.
"""

from __future__ import annotations

from PIL import Image, ImageFilter, ImageStat

SCALE = 8
MIN_LONG_SIDE = 640
DARK_BELOW = 60.0
BLURRED_BELOW = 0.16
# The Laplacian, a quarter of it so that strong edges are not clipped, around 128.
LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=4, offset=128)
EDGE_PERCENTILE = 0.99


def unreadable(small: Image.Image, width: int, height: int) -> str | None:
    """Why the page of `width` × `height` whose eighth-size image is `small` cannot be read:
    "small", "dark" or "blurred"; None when it can."""
    if max(width, height) < MIN_LONG_SIDE:
        return "small"
    grey = small.convert("L")
    brightness = ImageStat.Stat(grey).mean[0]
    if brightness < DARK_BELOW:
        return "dark"
    if grey.width < 3 or grey.height < 3:
        return None
    edges = grey.filter(LAPLACIAN).crop((1, 1, grey.width - 1, grey.height - 1))
    if _edge_percentile(edges.histogram()) * 4 / brightness < BLURRED_BELOW:
        return "blurred"
    return None


def _edge_percentile(histogram: list[int]) -> int:
    """The `EDGE_PERCENTILE` of the edges' sizes, from the filtered image's histogram (128 is none)."""
    sizes = [0] * 129
    for value, count in enumerate(histogram):
        sizes[min(abs(value - 128), 128)] += count
    wanted, seen = sum(sizes) * EDGE_PERCENTILE, 0
    for size, count in enumerate(sizes):
        seen += count
        if seen >= wanted:
            return size
    return 128


def eighth(page: Image.Image) -> Image.Image:
    """A decoded page at an eighth of its size, for `unreadable` (box averages, as a JPEG decoded
    at that scale gives)."""
    return page.reduce(SCALE) if min(page.size) >= SCALE else page
