"""Plural forms: which of a catalogue entry's forms a number takes, by the language's gettext rule.

A plural entry is written in a `.po` file as gettext writes one, the key as both `msgid` and
`msgid_plural`, and one `msgstr[i]` per form:

    msgid "review.pdf"
    msgid_plural "review.pdf"
    msgstr[0] "{pupil}: {pages} страница одним PDF."
    msgstr[1] "{pupil}: {pages} страницы одним PDF."
    msgstr[2] "{pupil}: {pages} страниц одним PDF."

The number of forms and the rule choosing among them are Babel's (the file's `Plural-Forms` header
must say the same; a test checks it): Kazakh and English have two (`n != 1`), Russian three (1, 21 →
«страница»; 2–4, 22 → «страницы»; 0, 5–20, 11–14 → «страниц»). Kazakh puts a noun after a numeral in
the singular («3 бет»), so its two forms are usually the same words; they are still both written,
so every language holds the same entries.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache

from babel.messages.plurals import get_plural


@cache
def _rule(language: str) -> Callable[[int], int]:
    return gettext.c2py(get_plural(language).plural_expr)


def forms(language: str) -> int:
    """How many plural forms the language has."""
    return int(get_plural(language).num_plurals)


def form_index(language: str, number: object) -> int:
    """The index of the plural form `number` takes in `language` (a non-number takes the last)."""
    try:
        count = abs(int(str(number)))
    except ValueError:
        return forms(language) - 1
    return min(_rule(language)(count), forms(language) - 1)
