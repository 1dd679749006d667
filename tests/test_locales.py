"""Every key used in code is in every catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from locales import LANGUAGES, catalogue, catalogue_files, translate

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = [
    "assessment",
    "bots",
    "handlers",
    "models",
    "monitoring",
    "outbox",
    "record",
    "roster",
    "scheduler",
    "sandbox",
]


def _keys_in_code() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords={"T": None}
        ):
            if isinstance(message, str):
                found.setdefault(message, f"{folder}/{filename}:{lineno}")
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_translation_keys() -> None:
    assert len(_keys_in_code()) > 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_in_code_is_translated(language: str) -> None:
    texts = catalogue(language)
    missing = {key: where for key, where in _keys_in_code().items() if not texts.get(key, "").strip()}
    assert not missing, f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_hold_the_same_keys_with_the_same_placeholders(language: str) -> None:
    reference = catalogue("en")
    texts = catalogue(language)
    assert set(texts) == set(reference), set(texts) ^ set(reference)
    for key, text in texts.items():
        assert _placeholders(text) == _placeholders(reference[key]), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_files_parse_and_declare_their_language(language: str) -> None:
    files = catalogue_files(language)
    assert files
    for path in files:
        with path.open("rb") as handle:
            parsed = read_po(handle)
        assert str(parsed.locale) == language, path


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_files_declare_the_plural_forms_of_their_language(language: str) -> None:
    """kk and en have two forms (n != 1), ru three: a plural entry must give exactly that many."""
    expected = get_plural(language)
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            parsed = read_po(handle)
        declared = (parsed.num_plurals, parsed.plural_expr)
        assert declared == (expected.num_plurals, expected.plural_expr), path
        for message in parsed:
            if message.pluralizable:
                assert len(message.string) == expected.num_plurals, (path, message.id)


def test_keys_are_dotted_names() -> None:
    for key in catalogue("en"):
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key), key


def test_kazakh_is_the_default_and_unknown_languages_fall_back_to_it() -> None:
    key = next(iter(catalogue("kk")))
    assert translate("de", key) == translate("kk", key)
