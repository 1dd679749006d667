"""The words of the router's table (`handlers.router.ROUTES`): what a turn carries that an entry
answers — a command, a button, a message inside an open conversation, photos, a plain word typed
alone — and how a turn walks the table.

A turn walks the entries in order. The first entry that matches it and whose handler answers (a
handler may answer None: "not mine after all") gives the turn its replies. An entry may name the
roles that may use it; anyone else hears `others`, or, when `others` is None, the
turn goes on down the table as if the entry were not there. A button belongs to one entry: the one
with the longest prefix of its value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import Flag

from handlers.context import Turn
from handlers.types import Reply
from locales import T, Text
from models.enums import Role

Handler = Callable[[Turn], list[Reply] | None]
ANYONE: frozenset[Role] = frozenset()
NOT_ALLOWED = T("common.not_allowed")
PASS = None  # `others` of an entry that is not theirs: the turn goes on


class Takes(Flag):
    """What a message inside an open conversation must carry for the conversation to take it."""

    TEXT = 1
    PHOTOS = 2


@dataclass(frozen=True)
class Seen:
    """What the router reads of a turn once, before walking the table."""

    command: str  # "/review" for "/review@ustaz_bot …", "" for no command
    button: str | None  # the prefix of the entry that owns the pressed button
    flow: str  # the person's open conversation, "" for none
    text: bool
    photos: bool  # photos or files other than sound
    answers: bool = False  # a reply to one of the bot's messages, or a typed reference "#12 …"
    word: str = ""  # the message as a plain word or short phrase (`plain_word`), "" for anything else


@dataclass(frozen=True)
class Command:
    """A command typed as the message's first word."""

    name: str

    def matches(self, seen: Seen) -> bool:
        return seen.command == self.name


@dataclass(frozen=True)
class Button:
    """A button pressed, or its number typed: its value starts with `prefix` ("att:" or "hw:pick:")."""

    prefix: str

    def matches(self, seen: Seen) -> bool:
        return seen.button == self.prefix


@dataclass(frozen=True)
class Flow:
    """A message without a command while the person's conversation is `name`, carrying what it takes."""

    name: str
    takes: Takes

    def matches(self, seen: Seen) -> bool:
        if seen.command or seen.flow != self.name:
            return False
        return bool((Takes.TEXT in self.takes and seen.text) or (Takes.PHOTOS in self.takes and seen.photos))


@dataclass(frozen=True)
class Words:
    """A message that is one of `words` alone, whatever its case and punctuation ("Бағалар!",
    "Отмена"): what a person types where there are no commands (SMS). A conversation waiting for
    text takes it first where such entries stand below the conversations in the table."""

    words: frozenset[str]

    def matches(self, seen: Seen) -> bool:
        return not seen.command and bool(seen.word) and seen.word in self.words


@dataclass(frozen=True)
class CommandInForm:
    """A command typed while one of `forms` is open, other than those in `but` (the way out itself)."""

    forms: frozenset[str]
    but: frozenset[str] = frozenset()

    def matches(self, seen: Seen) -> bool:
        return bool(seen.command) and seen.command not in self.but and seen.flow in self.forms


WORD_CHARS = 40  # a longer message is not a word
_SPACES = re.compile(r"\s+")


def plain_word(text: str) -> str:
    """The text as a plain word or short phrase: case folded, letters and spaces only; "" if long."""
    if len(text) > WORD_CHARS:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", "".join(ch if ch.isalpha() else " " for ch in folded)).strip()


@dataclass(frozen=True)
class Photos:
    """Photos or files, with any caption, in any conversation."""

    def matches(self, seen: Seen) -> bool:
        return seen.photos


@dataclass(frozen=True)
class Answer:
    """A message that answers an earlier one: a reply to a message of the bot's, or "#12 …"."""

    def matches(self, seen: Seen) -> bool:
        return seen.answers


@dataclass(frozen=True)
class Anything:
    """Whatever is left without a command: words, photos, a voice note, a sticker, an empty message."""

    def matches(self, seen: Seen) -> bool:
        return not seen.command


@dataclass(frozen=True)
class Route:
    """One entry of the table: what the turn carries, the module function that answers it, who may
    use it (empty: anyone), and what the others hear (None: not theirs, the turn goes on)."""

    on: Command | Button | Flow | Photos | Words | CommandInForm | Answer | Anything
    handler: Handler
    roles: AbstractSet[Role] = ANYONE
    others: Text | None = NOT_ALLOWED


def button_owners(*tables: Iterable[Route]) -> dict[str, Route]:
    """Each button prefix of the tables and its entry; a prefix is "area:" or "area:action:"."""
    owners: dict[str, Route] = {}
    for table in tables:
        for route in table:
            if not isinstance(route.on, Button):
                continue
            prefix = route.on.prefix
            if not prefix.endswith(":") or prefix.count(":") > 2 or prefix in owners:
                raise ValueError(f"button prefix {prefix!r}: one or two words ending with ':', once")
            owners[prefix] = route
    return owners


def owner_prefix(value: str | None, owners: dict[str, Route]) -> str | None:
    """The longest registered prefix of a button's value: "area:action:" before "area:"."""
    if not value:
        return None
    first = value.find(":")
    if first < 0:
        return None
    second = value.find(":", first + 1)
    action = value[: second + 1] if second >= 0 else value + ":"
    if action in owners:
        return action
    area = value[: first + 1]
    return area if area in owners else None


def walk(turn: Turn, table: Iterable[Route], seen: Seen) -> list[Reply] | None:
    """The replies of the first entry that matches and answers, or None when none does."""
    for route in table:
        if not route.on.matches(seen):
            continue
        if route.roles and turn.roles.isdisjoint(route.roles):
            if route.others is None:
                continue
            return [Reply(route.others)]
        replies = route.handler(turn)
        if replies is not None:
            return replies
    return None
