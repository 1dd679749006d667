"""Translations: key-based gettext catalogues in `locales/<lang>/LC_MESSAGES/*.po`, read with Babel.

Every user-facing string is a key wrapped in `T("key", **params)` in code; the catalogues of each
language (kk default, ru, en) hold its text with `{name}` placeholders, one `.po` file per concern
(bot.po, roster.po, …), all merged. A test checks that every key used in code exists and is
translated in every language, with the same placeholders.

A text is rendered late, for its reader: in their language and for the channel it goes out on.

* A count goes through `N("key", "count", count=3, …)`: the key is a plural entry of the catalogues
  and the number in the named parameter picks its form (`locales.plural`).
* A command is named by a placeholder, `{cmd_consent}`, never written as `/consent`: the slash
  command on Telegram, the plain word elsewhere (`locales.commands`).
* A key may have a variant for one channel, `<key>.via_<channel>` (`consent.request.via_sms`: the
  short consent text that fits one SMS); rendered for that channel, the variant is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from locales.commands import SLASH_CHANNELS, command_of_placeholder, word_key
from locales.plural import form_index

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
VARIANT_MARK = ".via_"


@dataclass(frozen=True)
class Text:
    """A translatable message: a catalogue key and the values for its placeholders. With `count`,
    the key is a plural entry and the number in the parameter of that name picks the form."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    count: str = ""

    def render(self, locale: str, channel: str = "") -> str:
        language = language_of(locale)
        number = self.params.get(self.count) if self.count else None
        template = template_of(language, self.key, channel, number, plural=bool(self.count))
        values = {name: render_value(value, language, channel) for name, value in self.params.items()}
        return template.format_map(_Values(values, language, channel))


@dataclass(frozen=True)
class InLanguages(Text):
    """A message written out in several languages, one paragraph each, the reader's first: for
    someone whose language is not known yet (a stranger's first answer)."""

    languages: tuple[str, ...] = ()

    def render(self, locale: str, channel: str = "") -> str:
        order = dict.fromkeys((language_of(locale), *self.languages))
        return "\n\n".join(Text.render(self, language, channel) for language in order)


@dataclass(frozen=True)
class Lines:
    """Several messages shown one per line, each rendered in the reader's language (an entry may be
    `Lines` itself: a block of lines inside a list)."""

    texts: tuple[Text | Lines, ...]

    def render(self, locale: str, channel: str = "") -> str:
        return "\n".join(text.render(locale, channel) for text in self.texts)


def T(key: str, **params: Any) -> Text:
    return Text(key, params)


def N(key: str, count: str, /, **params: Any) -> Text:
    """A plural entry: `N("review.pdf", "pages", pupil=name, pages=3)` takes the form for 3 pages."""
    if count not in params:
        raise ValueError(f"{key}: the count parameter {count!r} is not given")
    return Text(key, params, count)


def language_of(locale: str) -> str:
    return locale if locale in LANGUAGES else DEFAULT_LANGUAGE


def subject_name(code: str) -> Text | str:
    """A school subject's name in the reader's language (key `subject.<code>`); a subject that no
    catalogue names (a programme may bring its own) keeps its code."""
    key = f"subject.{code}"
    return Text(key) if key in catalogue(DEFAULT_LANGUAGE) else code


def catalogue_files(language: str) -> list[Path]:
    return sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def _entries(language: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        for message in parsed:
            if not message.id or not message.string:
                continue
            if message.pluralizable:
                key = str(message.id[0])
                plural[key] = tuple(str(form) for form in message.string)
            else:
                singular[str(message.id)] = str(message.string)
    return singular, plural


def catalogue(language: str) -> dict[str, str]:
    """The language's singular entries, key → text."""
    return _entries(language)[0]


def plurals(language: str) -> dict[str, tuple[str, ...]]:
    """The language's plural entries, key → its forms in the order of the language's plural rule."""
    return _entries(language)[1]


def template_of(
    language: str, key: str, channel: str = "", number: object = None, *, plural: bool = False
) -> str:
    """The catalogue text a message is rendered from: the channel's variant when there is one, the
    plural form the number takes, the default language's text when this language lacks it, and the
    key itself as the last resort (never an empty message)."""
    keys = (variant_key(key, channel), key) if channel else (key,)
    for lang in dict.fromkeys((language, DEFAULT_LANGUAGE)):
        for candidate in keys:
            if plural:
                forms = plurals(lang).get(candidate)
                if forms:
                    return forms[form_index(lang, number)] or forms[-1]
            else:
                text = catalogue(lang).get(candidate)
                if text:
                    return text
    return key


def variant_key(key: str, channel: str) -> str:
    """The key of a text's variant for one channel."""
    return f"{key}{VARIANT_MARK}{channel}"


def translate(locale: str, key: str, **params: Any) -> str:
    return Text(key, params).render(locale)


def render_value(value: Any, language: str, channel: str = "") -> Any:
    """A placeholder's value as the reader sees it: a value with a `render(locale, channel)` method
    depends on its reader (a nested `Text`, `Lines`, a list of names in their alphabetical order —
    `locales.collation.Names` —, a person's text in their language's version — `locales.versions.
    Versions`); anything else is shown as it is."""
    if isinstance(value, str | int | float):  # most values: no need to look further
        return value
    render = getattr(value, "render", None)
    return render(language, channel) if callable(render) else value


class _Values(dict[str, Any]):
    """A text's parameters, and the placeholders the channel fills in itself (`{cmd_consent}`)."""

    def __init__(self, values: dict[str, Any], language: str, channel: str) -> None:
        super().__init__(values)
        self.language = language
        self.channel = channel

    def __missing__(self, name: str) -> str:
        command = command_of_placeholder(name)
        if command is None:
            raise KeyError(name)
        if self.channel in SLASH_CHANNELS:
            return f"/{command}"
        return template_of(self.language, word_key(command))
