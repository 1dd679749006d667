"""Translations: key-based gettext catalogues in `locales/<lang>/LC_MESSAGES/*.po`, read with Babel.

Every user-facing string is a key wrapped in `T("key", **params)` in code; the catalogues of each
language (kk default, ru, en) hold its text with `{name}` placeholders, one `.po` file per concern
(bot.po, roster.po, …), all merged. A test checks that every key used in code exists and is
translated in every language, with the same placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"


@dataclass(frozen=True)
class Text:
    """A translatable message: a catalogue key and the values for its placeholders."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        return translate(locale, self.key, **self.params)


@dataclass(frozen=True)
class Lines:
    """Several messages shown one per line, each rendered in the reader's language (an entry may be
    `Lines` itself: a block of lines inside a list)."""

    texts: tuple[Text | Lines, ...]

    def render(self, locale: str) -> str:
        return "\n".join(text.render(locale) for text in self.texts)


def T(key: str, **params: Any) -> Text:
    return Text(key, params)


def subject_name(code: str) -> Text | str:
    """A school subject's name in the reader's language (key `subject.<code>`); a subject that no
    catalogue names (a programme may bring its own) keeps its code."""
    key = f"subject.{code}"
    return Text(key) if key in catalogue(DEFAULT_LANGUAGE) else code


def catalogue_files(language: str) -> list[Path]:
    return sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def catalogue(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        merged.update({str(m.id): str(m.string) for m in parsed if m.id and m.string})
    return merged


def translate(locale: str, key: str, **params: Any) -> str:
    language = locale if locale in LANGUAGES else DEFAULT_LANGUAGE
    template = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    rendered = {name: _render_param(value, language) for name, value in params.items()}
    return template.format_map(rendered)


def _render_param(value: Any, language: str) -> Any:
    return value.render(language) if isinstance(value, Text | Lines) else value
