"""The catalogues keep to locales/GLOSSARY.md: no variant it forbids, and no Latin letters in Kazakh
or Russian text except the names and typed codes allowed below."""

from __future__ import annotations

import re

import pytest

from locales import LANGUAGES, LOCALES_DIR, catalogue

GLOSSARY = LOCALES_DIR / "GLOSSARY.md"

# Latin words a Kazakh or Russian string may carry: names, file formats, language codes, the roster
# column a person types, and the bot's own name. Links, `--options` and slash commands are removed
# before the check; placeholders are filled in by code.
LATIN_ALLOWED = frozenset(
    {
        "ustaz",
        "telegram",
        "whatsapp",
        "sms",
        "pdf",
        "qr",
        "csv",
        "xlsx",
        "utf",
        "kk",
        "ru",
        "en",
        "id",
        "english",
    }
)
# Keys written in every language on purpose: the language question is for someone who may not read
# Kazakh yet.
LATIN_ALLOWED_KEYS = frozenset({"language.ask"})

NOT_READ = re.compile(r"\{[^{}]*\}|https?://\S*|(?<![\w/])/[a-z_]+|(?<!\w)--[a-z-]+")
FORBIDDEN_LINE = re.compile(r"^Forbidden:\s*(.+)$", re.MULTILINE)
VARIANT = re.compile(r"«([^«»]+)»")


def _readable(text: str) -> str:
    """The words a person reads: placeholders, slash commands, links and options left out."""
    return NOT_READ.sub(" ", text)


def _pattern(variant: str) -> re.Pattern[str]:
    """«word» matches the whole word, «stem…» any word beginning with it, case-insensitively."""
    stem = variant.endswith("…")
    body = variant.rstrip("…")
    words = r"\s+".join(re.escape(part) for part in body.split())
    head = r"(?<!\w)" if body[0].isalnum() else ""
    tail = "" if stem or not body[-1].isalnum() else r"(?!\w)"
    return re.compile(head + words + tail, re.IGNORECASE)


def forbidden_variants(glossary: str) -> dict[str, list[str]]:
    """Every `Forbidden:` line of the glossary, as {language: [variant, …]}."""
    found: dict[str, list[str]] = {language: [] for language in LANGUAGES}
    for line in FORBIDDEN_LINE.findall(glossary):
        for part in line.split(";"):
            language, _, variants = part.strip().partition(" ")
            assert language in found, f"unknown language {language!r} in: {line}"
            found[language].extend(VARIANT.findall(variants))
    return found


def uses(text: str, variant: str) -> bool:
    return _pattern(variant).search(_readable(text)) is not None


def latin_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]+", _readable(text)) if w.lower() not in LATIN_ALLOWED}


FORBIDDEN = forbidden_variants(GLOSSARY.read_text(encoding="utf-8"))


def test_the_glossary_forbids_something_in_every_language() -> None:
    assert all(FORBIDDEN[language] for language in LANGUAGES), FORBIDDEN


@pytest.mark.parametrize(
    ("text", "variant", "expected"),
    [
        ("Үй жұмысының суретін жіберіңіз", "сурет…", True),
        ("Фотосуретті жіберіңіз", "сурет…", False),  # the stem must begin a word
        ("Фотосуретті жіберіңіз", "фотосурет…", True),
        ("Жұмысыңызды жіберіңіз", "жұмысың", False),  # сіз, not сен
        ("Жұмысыңды жібер", "жұмысыңды", True),
        ("Сбор  Казпочты 12.03", "сбор Казпочты", True),
        ("Сбор работ через Казпочту", "сбор Казпочты", False),
        ("не был(а) на уроке", "(а)", True),
        ("/broadcast — send an announcement", "broadcast…", False),  # a command is not read
        ("{broadcast} sent", "broadcast…", False),  # nor a placeholder
    ],
)
def test_variants_match_words_not_fragments(text: str, variant: str, expected: bool) -> None:
    assert uses(text, variant) is expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_string_uses_a_forbidden_variant(language: str) -> None:
    offending = {
        key: variant
        for key, text in catalogue(language).items()
        for variant in FORBIDDEN[language]
        if uses(text, variant)
    }
    assert not offending, f"{language}: {offending}"


def test_latin_check_sees_through_names_codes_and_commands() -> None:
    assert latin_words("«Ustaz» ботына /consent жіберіңіз, https://example.kz/a, --time") == set()
    assert latin_words("Kazpost арқылы жинау") == {"Kazpost"}
    assert latin_words("Кoд") == {"o"}  # a Latin letter hidden in a Cyrillic word


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_strings_have_no_latin_letters_but_names_and_codes(language: str) -> None:
    offending = {
        key: latin_words(text)
        for key, text in catalogue(language).items()
        if key not in LATIN_ALLOWED_KEYS and latin_words(text)
    }
    assert not offending, f"{language}: {offending}"
