"""Announcements in two languages: the class teacher writes in Kazakh (or Russian) and may add a
version in the other language before sending; each family reads the version in its own language,
or the original under a line that says which language it is in (`locales.versions.Versions`).

The original's language is told from its letters: Kazakh has nine letters Russian has not (ә ғ қ ң
ө ұ ү һ і), and hardly a Kazakh sentence goes without one; Cyrillic without them is Russian, Latin
is English; a text with no letters at all is taken to be in the teacher's own language.
"""

from __future__ import annotations

from typing import Any

from handlers.types import Choice
from locales import T
from locales.versions import Versions

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# The version a teacher is offered to add, by the original's language.
OTHER = {"kk": "ru", "ru": "kk", "en": "kk"}
NOTE = "broadcast.written_in"  # broadcast.written_in.<original language>


def language_of_text(text: str, fallback: str) -> str:
    if any(letter in KAZAKH_LETTERS for letter in text):
        return "kk"
    if any("а" <= letter.lower() <= "я" or letter.lower() == "ё" for letter in text):
        return "ru"
    if any("a" <= letter.lower() <= "z" for letter in text):
        return "en"
    return fallback


def versions(data: dict[str, Any]) -> Versions:
    """The announcement being written (conversation data) with its versions."""
    original = str(data.get("language") or "kk")
    texts = {original: str(data.get("text", "")), **dict(data.get("versions") or {})}
    return Versions(texts, original, NOTE)


def missing_version(data: dict[str, Any]) -> str | None:
    """The language a version may still be added in, or None."""
    other = OTHER.get(str(data.get("language") or "kk"))
    return other if other and other not in (data.get("versions") or {}) else None


def offer(prefix: str, data: dict[str, Any]) -> tuple[Choice, ...]:
    """The preview's "add a Russian version" button, while there is none."""
    other = missing_version(data)
    return (Choice(f"{prefix}version:{other}", T(f"broadcast.add_version.{other}")),) if other else ()
