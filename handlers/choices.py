"""Typed answers to offered choices: "1", "2", a label in any language, or a word that says what the
choice means: yes / no / cancel / more in Kazakh, Russian or English (`handlers.words`).

Messengers without buttons (SMS, WhatsApp outside a template) show choices as a numbered list; the
offered choices are remembered in the conversation state so the typed answer maps back to a value.
A choice means "yes" (or no, cancel, more) when that word is one of the parts of its value
("consent:yes:12", "bc:cancel").
"""

from __future__ import annotations

from typing import Any

from handlers.types import Choice
from handlers.words import ACCEPTS, answer_of, plain
from locales import LANGUAGES, Text
from outbox.write import params_from_json, params_to_json


def match(text: str, offered: list[Choice]) -> str | None:
    """The value of the offered choice this text names, or None."""
    answer = plain(text)
    if not answer or not offered or text.lstrip().startswith("#"):
        return None  # "#12" names a thread, never the twelfth choice
    if answer.isdigit():
        index = int(answer) - 1
        return offered[index].value if 0 <= index < len(offered) else None
    for choice in offered:
        labels = {plain(choice.label.render(language)) for language in LANGUAGES}
        if answer in labels:
            return choice.value
    meaning = answer_of(text)
    for accepted in ACCEPTS.get(meaning or "", ()):
        hit = [c.value for c in offered if accepted in c.value.split(":")]
        if len(hit) == 1:
            return hit[0]
    return None


def remember(choices: list[Choice]) -> list[dict[str, Any]]:
    """Offered choices as JSON for the conversation state."""
    return [{"v": c.value, "k": c.label.key, "p": params_to_json(c.label.params)} for c in choices]


def recall(stored: list[dict[str, Any]] | None) -> list[Choice]:
    return [
        Choice(str(item["v"]), Text(str(item["k"]), params_from_json(item.get("p") or {})))
        for item in stored or []
    ]
