"""A text written by a person in one language, with versions in others: each reader gets the version
in their language when there is one, else the original under a one-line note in their language that
says which language it is in («Объявление написано на казахском языке»).

A class teacher's announcement is one: written in Kazakh, optionally with a Russian version (or the
other way round). The choice is made when the message is rendered for its reader, so one outbox row
per family serves whichever language the family has chosen by the time it goes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from locales import T, language_of


@dataclass(frozen=True)
class Versions:
    texts: dict[str, str] = field(default_factory=dict)  # language → text; holds the original
    original: str = "kk"
    note: str = ""  # `<note>.<original>` is the catalogue key of the line naming the original's language

    def render(self, locale: str, channel: str = "") -> str:
        language = language_of(locale)
        if language in self.texts:
            return self.texts[language]
        text = self.texts.get(self.original, "")
        if not self.note:
            return text
        return f"{T(f'{self.note}.{self.original}').render(language, channel)}\n{text}"

    def all(self) -> str:
        """Every version, the original first (for a class chat read by families of both languages)."""
        ordered = dict.fromkeys((self.original, *self.texts))
        return "\n\n".join(self.texts[language] for language in ordered if language in self.texts)
