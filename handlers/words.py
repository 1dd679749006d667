"""Words a person may type instead of a slash command or a button, in any of the three languages, on
any channel: by SMS there are no buttons and no command menu.

* Command words: a message that is only КЕЛІСІМ, СОГЛАСИЕ or CONSENT (any case) is `/consent`; the
  words are the catalogues' `command.<name>` entries in every language, the same words the texts name
  on WhatsApp and SMS (`locales.commands`), and a few more people type for a command (`ALSO`: the
  menu asked for by name, МӘЗІР / МЕНЮ / MENU, is `/help`; SUMMARY, as well as DIGEST, is `/digest`).
* Answer words: yes / no / cancel / more (иә / жоқ / болдырмау / толығырақ, да / нет / отмена /
  подробнее, yes / no / cancel / more) pick the offered choice that means that (`handlers.choices`).
  A cancel word with no cancel choice offered leaves the form under way (`handlers.leaving`, through
  the router's table: `CANCEL`). A cancel word never picks a "no": refusing consent is said with
  «жоқ» / «нет» (or «Бас тарту», the button's label), not with a word for leaving a form. By SMS,
  Twilio itself takes English CANCEL as an opt-out keyword, so texts by SMS name the Kazakh and
  Russian words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from locales import LANGUAGES, catalogue
from locales.commands import COMMANDS, word_key

_SPACE = re.compile(r"\s+")

# What a typed word means, and which choices it may pick (in order of preference): "no" picks a
# "cancel" choice when no "no" is offered; "cancel" picks only a "cancel".
ANSWERS: dict[str, frozenset[str]] = {
    "yes": frozenset(
        {"иә", "ия", "иа", "ie", "ia", "iа", "ya", "да", "da", "yes", "y", "ok", "ок", "жарайды", "келісемін"}
    ),
    "no": frozenset({"жоқ", "жок", "joq", "zhoq", "jok", "нет", "net", "no", "n"}),
    "cancel": frozenset({"болдырмау", "болдырмаймын", "отмена", "отменить", "отмените", "cancel"}),
    "more": frozenset({"толығырақ", "толыгырак", "толық", "подробнее", "подробно", "more", "details"}),
}
ACCEPTS: dict[str, tuple[str, ...]] = {
    "yes": ("yes",),
    "no": ("no", "cancel"),
    "cancel": ("cancel",),
    "more": ("more",),
}
# The words that leave a form when typed alone (the button's word of each language, as
# `locales/GLOSSARY.md` has it: Болдырмау / Отменить / Cancel, and the nouns people type).
CANCEL = ANSWERS["cancel"]


def plain(text: str) -> str:
    """The text as compared: NFKC, case-folded, letters, digits and single spaces only."""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    folded = "".join(ch for ch in folded if ch.isalnum() or ch.isspace())
    return _SPACE.sub(" ", folded)


def answer_of(text: str) -> str | None:
    """yes / no / cancel / more when the text is (or starts with) one of those words, else None."""
    answer = plain(text)
    first = answer.split(" ")[0]
    for meaning, words in ANSWERS.items():
        if answer in words or first in words:
            return meaning
    return None


# Words for a command besides the catalogues' `command.<name>`, in any language.
ALSO: dict[str, frozenset[str]] = {
    "help": frozenset({"мәзір", "меню", "menu"}),
    "digest": frozenset({"summary"}),  # the week so far, as people ask for it in English
}


@cache
def _commands() -> dict[str, str]:
    named = {
        plain(catalogue(language)[word_key(command)]): f"/{command}"
        for language in LANGUAGES
        for command in COMMANDS
        if word_key(command) in catalogue(language)
    }
    return named | {word: f"/{command}" for command, words in ALSO.items() for word in words}


def command_of(text: str) -> str:
    """The slash command a message names ("/consent" for "Келісім" or "СОГЛАСИЕ!"), or ""."""
    return _commands().get(plain(text), "") if len(text) <= 40 else ""
