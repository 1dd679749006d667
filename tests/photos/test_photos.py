"""The photo pipeline: bad input is refused with a reason, good input is re-oriented and stripped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from photos.pipeline import Page, PhotoRejected, normalise, pages_to_pdf, store

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def astuple_page(page: Page) -> tuple[bytes, int, int]:
    return page.jpeg, page.width, page.height


def jpeg_with_gps_and_rotation(width: int = 400, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    for x in range(width // 2):
        image.putpixel((x, 0), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 54.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_orientation_applied_and_all_metadata_stripped() -> None:
    clean, width, height = astuple_page(normalise(jpeg_with_gps_and_rotation(), **LIMITS))
    with Image.open(io.BytesIO(clean)) as image:
        assert (image.width, image.height) == (200, 400) == (width, height)
        exif = image.getexif()
        assert 0x8825 not in exif and 0x0112 not in exif and 0x010F not in exif
        assert "exif" not in image.info and "xmp" not in image.info
    assert b"PhoneMaker" not in clean


def test_png_and_webp_are_accepted_as_jpeg() -> None:
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (50, 60), (0, 0, 0, 0)).save(out, fmt)
        clean, width, height = astuple_page(normalise(out.getvalue(), **LIMITS))
        assert clean[:3] == b"\xff\xd8\xff" and (width, height) == (50, 60)


def test_oversized_file_is_refused_before_opening() -> None:
    with pytest.raises(PhotoRejected) as caught:
        normalise(b"\xff\xd8" + b"0" * 1000, max_bytes=100, max_pixels=1000)
    assert caught.value.reason == "too_big"


def test_a_file_claiming_to_be_jpeg_is_refused() -> None:
    with pytest.raises(PhotoRejected) as caught:
        normalise(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10, **LIMITS)
    assert caught.value.reason == "not_image"


def test_a_pdf_or_text_is_not_an_image() -> None:
    with pytest.raises(PhotoRejected) as caught:
        normalise(b"%PDF-1.4\n...", **LIMITS)
    assert caught.value.reason == "not_image"


def test_decompression_bomb_is_refused_without_decoding() -> None:
    # A tiny PNG that claims 30000 x 30000 pixels.
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 300_000
    with pytest.raises(PhotoRejected) as caught:
        normalise(bomb, **LIMITS)
    assert caught.value.reason == "too_many_pixels"


def test_truncated_jpeg_is_broken() -> None:
    data = jpeg_with_gps_and_rotation()
    with pytest.raises(PhotoRejected) as caught:
        normalise(data[: len(data) // 3], **LIMITS)
    assert caught.value.reason in ("broken", "not_image")


def test_store_is_content_addressed_and_pdf_joins_pages(tmp_path: Path) -> None:
    clean, width, height = astuple_page(normalise(jpeg_with_gps_and_rotation(), **LIMITS))
    first = store(Page(clean, width, height), tmp_path)
    again = store(Page(clean, width, height), tmp_path)
    assert first.path == again.path and first.path.read_bytes() == clean
    assert len(first.sha256) == 64
    pdf = pages_to_pdf([first.path, again.path])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_a_jpeg_comment_and_xmp_do_not_survive() -> None:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(
        out, "JPEG", comment=b"Phone of A. Seitova", xmp=b"<x:xmpmeta>GPS 43.25 76.9</x:xmpmeta>"
    )
    clean, _width, _height = astuple_page(normalise(out.getvalue(), **LIMITS))
    assert b"Seitova" not in clean and b"xmpmeta" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert "comment" not in image.info and "xmp" not in image.info


def test_a_palette_png_and_a_huge_page_are_normalised() -> None:
    out = io.BytesIO()
    Image.new("P", (5000, 2500)).save(out, "PNG")
    clean, width, height = astuple_page(normalise(out.getvalue(), **LIMITS))
    assert (width, height) == (2000, 1000)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.mode == "RGB" and image.size == (2000, 1000)


def test_prepare_works_out_each_page_or_refusal_ahead_of_the_turn() -> None:
    from handlers.types import Chat, Identity, Inbound, Upload
    from handlers.uploads import normalise_upload, prepare

    good = jpeg_with_gps_and_rotation()
    inbound = Inbound(
        identity=Identity("telegram", "1"),
        chat=Chat("1"),
        uploads=(
            Upload(data=good, content_type="image/jpeg"),
            Upload(data=b"%PDF-1.4", content_type="application/pdf", as_document=True),
            Upload(data=b"", content_type="image/jpeg", size=LIMITS["max_bytes"] + 1),
        ),
    )
    page, pdf, huge = prepare(inbound, **LIMITS).uploads
    assert page.page is not None and page.page == normalise(good, **LIMITS) and page.refused is None
    assert (pdf.page, pdf.refused) == (None, "not_image")
    assert (huge.page, huge.refused) == (None, "too_big")
    assert normalise_upload(page, max_bytes=1, max_pixels=1) == page.page  # not worked out twice
    with pytest.raises(PhotoRejected):
        normalise_upload(huge, **LIMITS)


async def test_a_photo_worker_that_dies_makes_a_broken_page_and_the_next_photo_is_worked_on() -> None:
    """The pipeline runs in worker processes (bots/turns.py): a decoder crash there costs one page."""
    from bots import turns
    from handlers.context import Config
    from handlers.types import Chat, Identity, Inbound, Upload
    from settings import Settings

    good = jpeg_with_gps_and_rotation()
    inbound = Inbound(
        Identity("telegram", "1"), Chat("1"), uploads=(Upload(good, "image/jpeg", size=len(good)),)
    )
    config = Config.from_settings(Settings())
    first = await turns.prepare_photos(inbound, config)
    assert first.uploads[0].page == normalise(
        good, max_bytes=config.max_photo_bytes, max_pixels=config.max_photo_pixels
    )

    workers = turns.photo_workers()
    for process in list(workers._processes.values()):  # what a segfault in a decoder would do
        process.kill()
        process.join()
    broken = await turns.prepare_photos(inbound, config)
    assert (broken.uploads[0].page, broken.uploads[0].refused) == (None, "broken")

    again = await turns.prepare_photos(inbound, config)
    assert again.uploads[0].page == first.uploads[0].page
    assert turns.photo_workers() is not workers
