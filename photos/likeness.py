"""Whether two pages are the same sheet of paper, even photographed again: a perceptual hash of the
page's writing, and the distance between two such hashes.

A plain difference hash of the whole photo does not tell written pages apart: lines of writing
spread ink evenly, so neighbouring cells of a coarse grid are nearly equal and their comparison is
noise, and a copy turned by a degree and a half moves every line across the cells (on the pages of
tests/photos/test_likeness.py copies measured farther apart than different pages). So before hashing, the
page is put the way it was written:

* grey, its contrast stretched (a brighter or darker photo reads the same), and the ink found
  (darker than `INK_BELOW` of the mean);
* straightened: turned by the angle, within ±4°, at which the rows of ink line up best (the row
  profile's variance is largest: lines of writing and the gaps between them);
* framed: cropped to the ink's bounding box, so a copy with a wider or narrower margin around
  the writing, at another size, fills the grid the same way;
* then the difference hash of the ink's darkness on a `SIDE`+1 × `SIDE` grid: one bit for each
  pair of neighbouring cells, whether the left one is darker. 256 bits, kept as 64 hex digits.

It works on the eighth-size image the pipeline decodes anyway (`photos.legibility`), so it costs a
few milliseconds a page (2.3 ms on a 160 × 120 image). The hash is a bit pattern; Hamming distance
counts the bits that differ.
On tests/photos/test_likeness.py's pages, copies photographed again (rescaled, recompressed, turned up to
2.5°, cropped, lighter or darker) measured up to 61 bits from their original, different pages
of the same look (the same worksheet heading, lines of the same length) at least 102, so
`SAME_BELOW` is 80.

Hand-written over Pillow: the usual library (imagehash) would bring numpy, SciPy and PyWavelets
(tens of megabytes) for these few lines, and it hashes the photo as it is, without straightening.
"""

from __future__ import annotations

from PIL import Image, ImageOps, ImageStat

SIDE = 16
BITS = SIDE * SIDE
SAME_BELOW = 80
INK_BELOW = 0.6
ANGLES = tuple(half / 2 for half in range(-8, 9))  # −4° … 4°, every half degree
MAX_SIDE = 200  # a larger image is reduced first: the grid has 16 cells a side
FLAT_BELOW = 6.0  # a page whose grey varies less than this (standard deviation) has nothing on it


def perceptual_hash(small: Image.Image) -> str | None:
    """The page's hash, from a small image of it (the pipeline's eighth-size one); None for a page
    with nothing written on it (every blank page would look like every other)."""
    grey = small.convert("L")
    if max(grey.size) > MAX_SIDE:
        grey.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    if ImageStat.Stat(grey).stddev[0] < FLAT_BELOW:
        return None
    grey = ImageOps.autocontrast(grey, cutoff=1)
    limit = ImageStat.Stat(grey).mean[0] * INK_BELOW
    ink = grey.point([255 if value < limit else 0 for value in range(256)])
    angle = max(ANGLES, key=lambda turn: _lined_up(ink, turn))
    straight = ImageOps.invert(grey).rotate(angle, resample=Image.Resampling.BILINEAR)
    frame = ink.rotate(angle, resample=Image.Resampling.NEAREST).getbbox()
    if frame is None:
        return None
    straight = straight.crop(frame)
    cells = straight.resize((SIDE + 1, SIDE), Image.Resampling.BOX).tobytes()
    bits = 0
    for row in range(SIDE):
        for column in range(SIDE):
            at = row * (SIDE + 1) + column
            bits = bits << 1 | (cells[at] > cells[at + 1])
    return f"{bits:0{BITS // 4}x}"


def _lined_up(ink: Image.Image, angle: float) -> float:
    """How well the rows of ink line up when the page is turned by `angle`: the variance of the
    row profile (sharp lines and clear gaps between them give a large one)."""
    turned = ink.rotate(angle, resample=Image.Resampling.NEAREST)
    profile = turned.resize((1, turned.height), Image.Resampling.BOX)
    return float(ImageStat.Stat(profile).var[0])


def distance(first: str, second: str) -> int:
    """How many of the two hashes' bits differ."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def same_sheet(first: str, second: str) -> bool:
    return distance(first, second) < SAME_BELOW
