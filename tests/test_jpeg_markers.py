"""A JPEG kept as sent: every metadata block gone, the compressed image data and pixels unchanged."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from photos.jpeg_markers import without_metadata
from photos.pipeline import normalise

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Home address, Almaty</x:xmpmeta>'


def _page(width: int = 300, height: int = 200) -> Image.Image:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image.paste((200, 30, 30), (10, 10, width // 3, height // 3))
    return image


def _jpeg(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **save)
    return out.getvalue()


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def _with_everything(image: Image.Image) -> bytes:
    """A phone's upright photo with GPS, a maker note, XMP, an ICC profile, a comment, and a
    second picture appended after the end of the image."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 54.0, 0.0)}
    exif[0x0112] = 1
    data = _jpeg(
        image,
        quality=90,
        exif=exif.tobytes(),
        icc_profile=b"\x00" * 128 + b"ICCPROFILE-OF-A-PHONE",
        comment=b"taken at 12 Abai street",
        xmp=XMP,
    )
    return data + b"\xff\xd8" + b"second picture with its own Exif GPS" + b"\xff\xd9"


def test_an_upright_phone_jpeg_loses_every_metadata_block_and_keeps_its_pixels() -> None:
    image = _page()
    original = _with_everything(image)
    page = normalise(original, **LIMITS)
    clean, width, height = page.jpeg, page.width, page.height
    assert (width, height) == (300, 200)
    for secret in (b"Exif", b"PhoneMaker", b"Abai", b"Almaty", b"ICCPROFILE", b"second picture"):
        assert secret in original and secret not in clean
    with Image.open(io.BytesIO(clean)) as kept:
        assert not kept.getexif() and "icc_profile" not in kept.info and "comment" not in kept.info
        assert "xmp" not in kept.info
    # Not re-encoded: the same pixels, bit for bit, as the original decodes to.
    assert _pixels(clean) == _pixels(original)


def test_a_jpeg_that_needs_turning_or_shrinking_is_still_re_encoded() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    turned = _jpeg(_page(), exif=exif.tobytes())
    page = normalise(turned, **LIMITS)
    clean, width, height = page.jpeg, page.width, page.height
    assert (width, height) == (200, 300)
    big = _jpeg(_page(2400, 1000))
    page = normalise(big, **LIMITS)
    clean, width, height = page.jpeg, page.width, page.height
    assert (width, height) == (2000, 833) and _pixels(clean) != _pixels(big)


def test_a_jpeg_cut_short_or_without_an_end_is_not_followed() -> None:
    data = _jpeg(_page())
    assert without_metadata(data[: len(data) // 2]) is None
    assert without_metadata(data[:-2]) is None  # no end-of-image marker
    assert without_metadata(b"\xff\xd8\xff\xe1\x00\x01") is None  # a length shorter than itself
    assert without_metadata(b"GIF89a") is None


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 120),
    height=st.integers(1, 120),
    quality=st.integers(5, 100),
    progressive=st.booleans(),
    restart_blocks=st.sampled_from([0, 1, 3]),
    subsampling=st.sampled_from([0, 1, 2]),
)
def test_any_encoding_decodes_to_the_same_pixels_without_metadata(
    width: int, height: int, quality: int, progressive: bool, restart_blocks: int, subsampling: int
) -> None:
    image = Image.effect_noise((width, height), 50).convert("RGB")
    save: dict[str, object] = {
        "quality": quality,
        "progressive": progressive,
        "subsampling": subsampling,
        "comment": b"a comment",
        "xmp": XMP,
    }
    if restart_blocks:
        save["restart_marker_blocks"] = restart_blocks
    data = _jpeg(image, **save)
    clean = without_metadata(data)
    assert clean is not None
    assert b"a comment" not in clean and b"xmpmeta" not in clean
    assert _pixels(clean) == _pixels(data)
