"""Photo pipeline: a 12-megapixel phone JPEG (EXIF orientation and GPS set) checked, re-oriented,
stripped and stored, on one core. Target (issue 7): under 150 ms per photo, peak memory under 150 MB.
Then a photo as Telegram sends it (1280 px, upright): checked and stripped, its image data kept.
Both runs include the legibility check (`photos.legibility`); its own share is timed apart, on the
eighth-size images the two paths measure (the re-encoded page reduced to it, the kept photo's
eighth-scale decode), so it can be told from the machine's noise.

Memory is the process's peak resident size (VmHWM) after the runs, minus what it was before the
first photo: Pillow allocates outside Python's allocator, so tracemalloc would not see it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from bench.common import machine, percentile, resident_kib, temporary_folder
from photos.legibility import eighth, unreadable
from photos.pipeline import StoredPhoto, normalise, store

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def phone_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A camera-like JPEG: noisy content (so it compresses like a photo), rotated by EXIF, with GPS."""
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD)[2] = (43.0, 15.0, 0.0)  # latitude, Almaty
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def timed_pages(data: bytes, runs: int, folder: Path) -> tuple[list[float], StoredPhoto]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        clean = normalise(data, max_bytes=20 * 1024 * 1024, max_pixels=40_000_000)
        stored = store(clean, folder)
        timings.append(time.perf_counter() - started)
    with Image.open(stored.path) as page:
        assert not page.getexif(), "EXIF left in the stored page"
    return timings, stored


def telegram_photo(width: int = 1280, height: int = 960) -> bytes:
    """What Telegram sends for a photo: a plain upright JPEG at 1280 px, no metadata."""
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=87)
    return out.getvalue()


def legibility_share(stored: StoredPhoto, sent: bytes, runs: int) -> tuple[float, float]:
    """Median ms of the legibility check alone: the re-encoded page (reduce + measure), and the kept
    photo (measure on its eighth-scale decode, which the pipeline makes anyway)."""
    with Image.open(stored.path) as page:
        page.load()
        reencoded = _median_ms(lambda: unreadable(eighth(page), page.width, page.height), runs)
    with Image.open(io.BytesIO(sent)) as photo:
        photo.draft("RGB", (photo.width // 8, photo.height // 8))
        photo.load()
        kept = _median_ms(lambda: unreadable(photo, photo.width * 8, photo.height * 8), runs)
    return reencoded, kept


def _median_ms(work: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer photos")
    args = parser.parse_args()
    data = phone_jpeg()
    runs = 5 if args.quick else 20
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    before = resident_kib(os.getpid())["VmRSS"]
    with temporary_folder() as folder:
        timings, stored = timed_pages(data, runs, folder)
        peak = resident_kib(os.getpid())["VmHWM"]
        sent = telegram_photo()
        kept_timings, kept = timed_pages(sent, runs * 10, folder)
        share = legibility_share(stored, sent, runs * 10)
    print(f"photo pipeline (one core; {machine()})")
    print(
        f"  12 MP JPEG ({len(data) / 1e6:.1f} MB) -> {stored.width}x{stored.height} page of "
        f"{stored.size / 1e6:.2f} MB: median {statistics.median(timings) * 1000:.0f} ms, "
        f"p95 {percentile(timings, 0.95) * 1000:.0f} ms   (target < 150 ms)"
    )
    print(f"  peak memory: {(peak - before) / 1024:.0f} MB above the idle process   (target < 150 MB)")
    print(
        f"  Telegram photo ({len(sent) / 1e3:.0f} kB, {kept.width}x{kept.height}), image data kept: "
        f"median {statistics.median(kept_timings) * 1000:.1f} ms"
    )
    print(
        f"  of which the legibility check: {share[0]:.2f} ms on the re-encoded page (reduced to an "
        f"eighth), {share[1]:.2f} ms on the kept photo's eighth-scale decode"
    )


if __name__ == "__main__":
    main()
