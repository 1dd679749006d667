"""A JPEG rebuilt from its own segments without any metadata, its compressed image data untouched.

A JPEG is a list of marker segments (tables, frame header, scans) with optional blocks beside them:
EXIF with its GPS tags and thumbnail, XMP, ICC profiles, IPTC, comments, and whatever follows the
end-of-image marker (a phone's second picture, appended data). This keeps only what decoding needs
(quantisation and Huffman tables, frame header, restart interval, scans) and Adobe's colour
transform flag; a JFIF header (which may carry a thumbnail) is replaced by a bare one, so the colour
space reads as before. Everything else is dropped. The pixels are exactly the original's, with no
re-encoding.
"""

from __future__ import annotations

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP0, APP14 = 0xE0, 0xEE  # Adobe: says whether the three components are YCbCr or RGB
TEM = 0x01
RESTARTS = range(0xD0, 0xD8)
# DHT, DAC, DQT, DRI and the frame headers (SOF0–SOF15 less DHT, JPG and DAC, which are tables).
KEPT = {0xC4, 0xCC, 0xDB, 0xDD} | set(range(0xC0, 0xD0))
JFIF_HEADER = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def without_metadata(data: bytes) -> bytes | None:
    """The JPEG with only its image segments, or None if its structure is not one this can follow
    (the caller then decodes and re-encodes it)."""
    if data[:2] != b"\xff\xd8":
        return None
    out = [b"\xff\xd8"]
    at, end = 2, len(data)
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
            scan_end = _entropy_end(data, at)
            if scan_end is None:
                return None
            out.append(segment + data[at:scan_end])
            at = scan_end
        elif marker in KEPT or marker == APP14:
            out.append(segment)
        elif marker == APP0 and segment[4:9] == b"JFIF\x00" and JFIF_HEADER not in out:
            out.append(JFIF_HEADER)
    return None  # no end-of-image marker


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
