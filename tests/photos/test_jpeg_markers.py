"""A JPEG kept as sent: every metadata block gone, the compressed image data and pixels unchanged."""

from __future__ import annotations

import contextlib
import io

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from photos.jpeg_markers import without_metadata
from photos.pipeline import PhotoRejected, normalise

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


APP_PREFIXES = {
    0xE0: b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",  # a JFIF header, then more
    0xE1: b"Exif\x00\x00",
    0xEE: b"Adobe\x00\x64\x00\x00\x00\x00\x01",  # Adobe's fields (YCbCr), then more
}


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(min_size=12, max_size=300), comment=st.binary(min_size=12, max_size=300))
def test_bytes_carried_in_any_app_segment_or_comment_reach_no_stored_file(
    payload: bytes, comment: bytes
) -> None:
    """Whatever rides in APP0–APP15 and COM (script text, coordinates) is not in the page kept,
    which decodes to the original's pixels."""
    image = _page(160, 120)
    plain = _jpeg(image, quality=90)
    assume(payload not in plain and comment not in plain)  # bytes any such file has anyway
    carried = b"".join(
        _segment(marker, APP_PREFIXES.get(marker, b"") + payload) for marker in range(0xE0, 0xF0)
    ) + _segment(0xFE, comment)
    data = plain[:2] + carried + plain[2:]
    page = normalise(data, **LIMITS)
    clean = page.jpeg
    assert (page.width, page.height) == (160, 120)
    assert payload not in clean and comment not in clean
    assert _pixels(clean) == _pixels(plain)


def test_a_table_segment_longer_than_its_fields_is_not_kept_as_it_is() -> None:
    """Bytes hidden after a quantisation table's own 64 values: the file is re-encoded instead."""
    plain = _jpeg(_page(), quality=90)
    at = plain.index(b"\xff\xdb")
    length = int.from_bytes(plain[at + 2 : at + 4], "big")
    hidden = b"lat=43.238949;lon=76.889709"
    padded = plain[: at + 2] + (length + len(hidden)).to_bytes(2, "big") + plain[at + 4 : at + 2 + length]
    padded += hidden + plain[at + 2 + length :]
    assert without_metadata(padded) is None  # decoded and re-encoded, or refused if it does not decode
    with contextlib.suppress(PhotoRejected):
        assert hidden not in normalise(padded, **LIMITS).jpeg
