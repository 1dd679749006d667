"""Every key used in code is in every catalogue, translated, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from locales import LANGUAGES, VARIANT_MARK, N, T, catalogue, catalogue_files, plurals, translate
from locales.commands import COMMANDS, command_of_placeholder, word_key
from models.enums import Channel

ROOT = Path(__file__).resolve().parents[2]
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
CHANNELS = {channel.value for channel in Channel}


def _keys_in_code(keyword: str = "T") -> dict[str, str]:
    """Keys written as `T("key", …)` (or, with keyword="N", plural entries `N("key", "count", …)`)."""
    found: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords={keyword: None}
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


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_key_in_code_is_a_plural_entry_with_every_form(language: str) -> None:
    """`N("key", …)` needs a plural entry with the language's number of forms, each translated and
    with the same placeholders as English; `T("key")` needs a singular one."""
    forms = plurals(language)
    reference = plurals("en")
    used = _keys_in_code("N")
    assert used, "no plural entry is used in code"
    for key, where in used.items():
        assert key in forms, f"{language}: {key} ({where}) is not a plural entry"
        assert len(forms[key]) == get_plural(language).num_plurals, key
        assert all(form.strip() for form in forms[key]), f"{language}: {key} has an empty form"
        expected = _placeholders(reference[key][-1])
        assert all(_placeholders(form) == expected for form in forms[key]), key
    singular = {key for key in _keys_in_code("T") if key in forms and key not in catalogue(language)}
    assert not singular, f"{language}: written as T() but only plural in the catalogue: {singular}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_catalogues_hold_the_same_keys(language: str) -> None:
    assert set(plurals(language)) == set(plurals("en"))


@pytest.mark.parametrize(
    ("language", "pages", "expected"),
    [
        ("ru", 1, "1 страница"),
        ("ru", 21, "21 страница"),
        ("ru", 3, "3 страницы"),
        ("ru", 22, "22 страницы"),
        ("ru", 5, "5 страниц"),
        ("ru", 11, "11 страниц"),
        ("ru", 12, "12 страниц"),
        ("en", 1, "1 page in"),
        ("en", 2, "2 pages in"),
        ("kk", 2, "2 бет"),
    ],
)
def test_a_count_takes_its_plural_form(language: str, pages: int, expected: str) -> None:
    assert expected in N("review.pdf", "pages", pupil="Асан", pages=pages).render(language)


def test_a_nested_count_takes_its_own_form() -> None:
    text = T(
        "roster.error.lesson_too_short",
        length=N("common.minutes", "minutes", minutes=41),
        min=N("common.minutes", "minutes", minutes=60),
    )
    assert "41 минута" in text.render("ru") and "минимум 60 минут" in text.render("ru")


def test_a_plural_text_names_a_given_count() -> None:
    with pytest.raises(ValueError):
        N("review.pdf", "pages", pupil="Асан")


@pytest.mark.parametrize("language", LANGUAGES)
def test_channel_variants_belong_to_a_key_and_need_no_other_values(language: str) -> None:
    """`consent.request.via_sms` is the SMS text of `consent.request`: the code passes the base key's
    values, so a variant may leave some out but never ask for more (the channel's own `{cmd_…}`
    placeholders aside, which the channel fills in)."""
    texts = catalogue(language)
    for key, text in texts.items():
        base, mark, channel = key.rpartition(VARIANT_MARK)
        if mark:
            assert channel in CHANNELS, f"{key}: no such channel"
            assert base in texts, f"{key} varies a key that does not exist"
            own = {name for name in _placeholders(text) if command_of_placeholder(name)}
            assert _placeholders(text) - own <= _placeholders(texts[base]), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_a_text_names_has_a_word(language: str) -> None:
    for command in COMMANDS:
        word = catalogue(language)[word_key(command)]
        assert word.strip() and "/" not in word, (language, command)
