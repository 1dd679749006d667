"""A JPEG rebuilt from its own segments without any metadata, its compressed image data untouched.

A JPEG is a list of marker segments (tables, frame header, scans) with optional blocks beside them:
EXIF with its GPS tags and thumbnail, XMP, ICC profiles, IPTC, comments, and whatever follows the
end-of-image marker (a phone's second picture, appended data). This keeps only what decoding needs,
and nothing of it verbatim that could carry other bytes:

* quantisation and Huffman tables, the frame header, the restart interval and the scan headers
  are kept only when their length is exactly what their own fields give; a segment longer than
  its fields (room for hidden bytes) or shorter is not followed, and the caller re-encodes;
* Adobe's segment is rebuilt from its one field that matters, the colour transform (the first one
  only), and a JFIF header (which may carry a thumbnail) is replaced by a bare one, so the colour
  space reads as before;
* every other APPn segment, every comment, and anything after the end of the image are dropped.

The pixels are exactly the original's, with no re-encoding.
"""

from __future__ import annotations

from collections.abc import Callable

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
DHT, DAC, DQT, DRI = 0xC4, 0xCC, 0xDB, 0xDD
APP0, APP14 = 0xE0, 0xEE  # Adobe: says whether the three components are YCbCr or RGB
TEM = 0x01
RESTARTS = range(0xD0, 0xD8)
FRAMES = set(range(0xC0, 0xD0)) - {DHT, 0xC8, DAC}  # SOF0–SOF15 (0xC8 is JPG, reserved)
JFIF_HEADER = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
ADOBE = b"Adobe"
TRANSFORMS = (0, 1, 2)  # none (RGB or CMYK), YCbCr, YCCK


def without_metadata(data: bytes) -> bytes | None:
    """The JPEG with only its image segments, or None if its structure is not one this can follow
    (the caller then decodes and re-encodes it)."""
    if data[:2] != b"\xff\xd8":
        return None
    out = [b"\xff\xd8"]
    at, end = 2, len(data)
    adobe = False  # one Adobe segment is kept, rebuilt: more would be room for bytes of one's own
    while at < end:
        if data[at] != 0xFF:
            return None
        while at < end and data[at] == 0xFF:  # fill bytes may pad a marker
            at += 1
        if at >= end:
            return None
        marker = data[at]
        at += 1
        if marker == EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)  # anything after the image is dropped
        if marker in RESTARTS or marker in (SOI, TEM):
            return None  # never between segments of a well-formed file
        if at + 2 > end:
            return None
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2 or at + length > end:
            return None
        segment = data[at - 2 : at + length]
        at += length
        if marker == SOS:
            if _scan(segment[4:]) != length - 2:
                return None
            scan_end = _entropy_end(data, at)
            if scan_end is None:
                return None
            out.append(segment + data[at:scan_end])
            at = scan_end
        elif marker == DAC:
            return None
        elif marker in TABLES or marker in FRAMES:
            if _needed(marker, segment[4:]) != length - 2:
                return None  # bytes beyond what its fields say, or fewer
            out.append(segment)
        elif marker == APP14 and segment[4:9] == ADOBE and length >= 14 and not adobe:
            if segment[15] not in TRANSFORMS:
                return None
            adobe = True
            out.append(_adobe(segment[15]))
        elif marker == APP0 and segment[4:9] == b"JFIF\x00" and JFIF_HEADER not in out:
            out.append(JFIF_HEADER)
    return None  # no end-of-image marker


def _adobe(transform: int) -> bytes:
    """Adobe's segment with its fixed fields only: version 100, no flags, the colour transform."""
    return b"\xff\xee\x00\x0e" + ADOBE + b"\x00\x64\x00\x00\x00\x00" + bytes([transform])


def _quantisation(body: bytes) -> int | None:
    """Tables of 64 values, of one or two bytes each (the high nibble of the first byte)."""
    at = 0
    while at < len(body):
        at += 1 + 64 * (1 + (body[at] >> 4))
    return at


def _huffman(body: bytes) -> int | None:
    """Tables of 16 code counts, then as many symbols as the counts add up to."""
    at = 0
    while at < len(body):
        if at + 17 > len(body):
            return None
        at += 17 + sum(body[at + 1 : at + 17])
    return at


def _frame(body: bytes) -> int | None:
    """Precision, height, width, component count, then three bytes a component."""
    return 6 + 3 * body[5] if len(body) >= 6 else None


def _scan(body: bytes) -> int | None:
    """Component count, two bytes a component, then spectral selection and approximation."""
    return 1 + 2 * body[0] + 3 if body else None


def _restart_interval(_body: bytes) -> int:
    return 2


def _needed(marker: int, body: bytes) -> int | None:
    """How many bytes a segment's own fields take (None: they cannot be read)."""
    reader = TABLES.get(marker, _frame)
    return reader(body)


# Arithmetic coding's conditions (DAC) are not among them: no phone writes them, and a file that has
# them is decoded and re-encoded.
TABLES: dict[int, Callable[[bytes], int | None]] = {DQT: _quantisation, DHT: _huffman, DRI: _restart_interval}


def _entropy_end(data: bytes, at: int) -> int | None:
    """Where a scan's compressed data ends: the first marker that is not a restart (a 0xFF in the
    data itself is followed by 0x00)."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return None
        following = data[at + 1]
        if following == 0x00 or following in RESTARTS:
            at += 2
        elif following == 0xFF:
            at += 1  # fill byte before a marker
        else:
            return at
