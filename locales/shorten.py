"""Shortening a text for a narrow place (a title in a receipt, a button, a table cell): cut at a word
boundary and marked with «…», never in the middle of a word unless one word alone is too long."""

from __future__ import annotations

ELLIPSIS = "…"
_TRAILING = " \t,;:-–—"


def shorten(text: str, limit: int) -> str:
    """The text in at most `limit` characters: whole, or cut after its last whole word that fits,
    with "…" (counted in the limit)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 0)
    cut = text[:room]
    # Whole words only, unless the cut falls on a space or one word fills the place.
    whole = text[room : room + 1].isspace() or " " not in cut
    kept = cut if whole else cut.rsplit(" ", 1)[0]
    return kept.rstrip(_TRAILING) + ELLIPSIS


def headline(text: str, limit: int) -> str:
    """The first non-empty line of a text, shortened (a homework's or an announcement's title)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return shorten(first, limit)
