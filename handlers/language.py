"""Choosing the language of the conversation: asked first after joining, changeable with /language."""

from __future__ import annotations

from handlers.context import Turn
from handlers.types import Choice, Reply
from locales import LANGUAGES, T

CHOICE_PREFIX = "lang:"


def ask(turn: Turn) -> Reply:
    return Reply(
        T("language.ask"),
        choices=tuple(Choice(f"{CHOICE_PREFIX}{code}", T(f"language.name.{code}")) for code in LANGUAGES),
    )


def start(turn: Turn) -> list[Reply]:
    """/language: the question again."""
    return [ask(turn)]


def choose(turn: Turn, value: str) -> list[Reply]:
    code = value.removeprefix(CHOICE_PREFIX)
    if turn.person is None or code not in LANGUAGES:
        return [ask(turn)]
    turn.person.locale = code
    turn.person.locale_chosen = True
    turn.session.add(turn.person)
    return [Reply(T("language.set"), locale=code)]
