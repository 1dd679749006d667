"""Typed answers to offered choices: "1", "2", a label in any language, "иә" / "ia" / "да" / "yes".

Messengers without buttons (SMS, WhatsApp outside a template) show choices as a numbered list; the
offered choices are remembered in the conversation state so the typed answer maps back to a value.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from handlers.types import Choice
from locales import LANGUAGES, Text
from outbox.write import params_from_json, params_to_json

YES = {"иә", "ия", "иа", "ie", "ia", "iа", "ya", "да", "da", "yes", "y", "ok", "ок", "жарайды", "келісемін"}
NO = {"жоқ", "жок", "joq", "zhoq", "jok", "нет", "net", "no", "n"}
_SPACE = re.compile(r"\s+")


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    folded = "".join(ch for ch in folded if ch.isalnum() or ch.isspace())
    return _SPACE.sub(" ", folded)


def match(text: str, offered: list[Choice]) -> str | None:
    """The value of the offered choice this text names, or None."""
    answer = _plain(text)
    if not answer or not offered or text.lstrip().startswith("#"):
        return None  # "#12" names a thread, never the twelfth choice
    if answer.isdigit():
        index = int(answer) - 1
        return offered[index].value if 0 <= index < len(offered) else None
    for choice in offered:
        labels = {_plain(choice.label.render(language)) for language in LANGUAGES}
        if answer in labels:
            return choice.value
    for words, suffix in ((YES, ":yes"), (NO, ":no")):
        if answer in words or answer.split(" ")[0] in words:
            hit = [c.value for c in offered if c.value.endswith(suffix) or f"{suffix}:" in c.value]
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
