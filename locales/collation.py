"""Alphabetical order as a Kazakh or Russian reader expects it, for names, classes and titles.

Python compares strings by code point, which puts every Kazakh letter (ә ғ қ ң ө ұ ү һ і: U+0493 and
up) after я: «Сәрсенбаев» after «Соколова», and every «Қ…» and «Ә…» name last. `sort_key` orders by
the alphabet of the reader's language instead, from a table; no ICU is needed (PyICU needs a
compiler and libicu, and these two alphabets are all a school list holds):

* kk — the Kazakh alphabet: а ә б в г ғ д е ё ж з и й к қ л м н ң о ө п р с т у ұ ү ф х һ ц ч ш щ ъ
  ы і ь э ю я;
* ru (and en) — the Russian alphabet, «ё» sorted as «е» (as Russian dictionaries do), and the Kazakh
  letters each after the Russian letter it is built on (ә after а, і after и, қ after к …), as
  Unicode's default order places them.

Case is ignored, then decides ties; a space or hyphen sorts before any letter («Иванов Пётр» before
«Иванова Анна»); numbers inside a text sort by value («8А» before «10Б»); Latin letters come after
Cyrillic ones, anything else after both.

The database sorts in the same orders under the name `collation(language)` gives (`ustaz_kk` …):
PostgreSQL has them as ICU collations of the same alphabets with numbers by value (migration
0012_collate: `kk-u-kn`, and `ru-u-kn` for ru and en); SQLite learns each as a function on every
connection (`models.store`) that gives a text's `sort_bytes`, which SQLite then sorts byte by byte —
one Python call per row, not one per comparison as a collation would make (two to three times
slower over a school's 12,000 names). The two databases agree on names, classes and group codes;
they differ only in ties this order does not care about (ICU puts a hyphen after a space, and a
lower-case letter before its capital).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

KAZAKH = "а ә б в г ғ д е ё ж з и й к қ л м н ң о ө п р с т у ұ ү ф х һ ц ч ш щ ъ ы і ь э ю я"
# Letters written together share a place in the order («её»: ё is е until the tie-break).
RUSSIAN = "а ә б в г ғ д её ж з и і й к қ л м н ң о ө п р с т у ұ ү ф х һ ц ч ш щ ъ ы ь э ю я"
ALPHABETS = {"kk": KAZAKH, "ru": RUSSIAN, "en": RUSSIAN}
# The database's name for each order (`collation`): the same on SQLite and PostgreSQL.
COLLATIONS = {language: f"ustaz_{language}" for language in ALPHABETS}
_PIECES = re.compile(r"\d+|[\s\-‐–—]+|.", re.DOTALL)

Key = tuple[tuple[tuple[int, int], ...], str, str]


@cache
def _ranks(language: str) -> dict[str, int]:
    alphabet = ALPHABETS.get(language, KAZAKH)
    return {letter: rank for rank, group in enumerate(alphabet.split(), start=1) for letter in group}


@lru_cache(maxsize=65536)
def sort_key(language: str, text: str) -> Key:
    """A key that orders texts as the reader of `language` expects: `sorted(names, key=…)`. Kept
    for the names read again and again: the overview of a school sorts its 1,920 group codes and
    240 tutors on every reading, and working the keys out was a tenth of its time."""
    ranks = _ranks(language)
    folded = unicodedata.normalize("NFC", text).strip().casefold()
    weights: list[tuple[int, int]] = []
    for piece in _PIECES.findall(folded):
        if piece.isdigit():
            weights.append((1, int(piece)))
        elif piece.isspace() or piece[0] in "-‐–—":
            weights.append((0, 0))
        elif piece in ranks:
            weights.append((2, ranks[piece]))
        elif "a" <= piece <= "z":
            weights.append((3, ord(piece)))
        elif piece.isalnum():
            weights.append((4, ord(piece)))
        # other punctuation (quotes, dots) does not take part in the order
    return tuple(weights), folded, text


def collation(language: str) -> str:
    """The database collation that orders texts as `sort_key(language, …)` does (Kazakh by default)."""
    return COLLATIONS.get(language, COLLATIONS["kk"])


@lru_cache(maxsize=65536)
def sort_bytes(language: str, text: str) -> bytes:
    """`sort_key` as bytes that compare the same way byte by byte: each weight as its kind, its
    value's length and its value (numbers by value: a longer one is larger), 0 after the last, then
    the folded text and the text. Kept for the names a school sorts again page after page."""
    weights, folded, original = sort_key(language, text)
    out = bytearray()
    for kind, value in weights:
        digits = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
        out += bytes((kind + 1, len(digits))) + digits
    return bytes(out) + b"\x00" + folded.encode() + b"\x00" + original.encode()


@dataclass(frozen=True)
class Names:
    """People's names as one placeholder value, listed in the reader's alphabetical order when the
    text is rendered (a message may be written before anyone knows who reads it, in which language)."""

    names: tuple[str, ...]
    empty: str = "—"

    def render(self, locale: str, channel: str = "") -> str:
        ordered = sorted(self.names, key=lambda name: sort_key(locale, name))
        return ", ".join(ordered) or self.empty
