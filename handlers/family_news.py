"""/digest: a parent chooses what they hear about their children's work — every message as it happens
and the weekly digest (the default), the digest instead of the messages it sums up, or the messages
without the digest. Absences and lesson changes come at once whatever the choice
(`models.news_rules` says which messages the digest replaces)."""

from __future__ import annotations

from handlers.audit import audit
from handlers.context import Turn
from handlers.refusals import not_allowed
from handlers.types import Choice, Reply
from locales import T, Text
from models.enums import FamilyNews

PREFIX = "news:"
ASK = f"{PREFIX}ask"


def start(turn: Turn) -> list[Reply]:
    """/digest (or the menu's choice): the current choice and the three to choose from."""
    person = turn.person
    if person is None:
        return not_allowed()
    return [
        Reply(
            T("news.ask", current=T(f"news.choice.{person.family_news}"), when=_when(turn)),
            choices=tuple(
                Choice(f"{PREFIX}{news.value}", T(f"news.choice.{news.value}")) for news in FamilyNews
            ),
        )
    ]


def on_choice(turn: Turn) -> list[Reply]:
    value = (turn.inbound.choice or "").removeprefix(PREFIX)
    if value == "ask":
        return start(turn)
    person = turn.person
    if person is None or value not in set(FamilyNews):
        return not_allowed()
    person.family_news = value
    turn.session.add(person)
    audit(turn, "family_news.chosen", "person", person.id, news=value)
    return [Reply(T(f"news.set.{value}", when=_when(turn)))]


def _when(turn: Turn) -> Text:
    """When the digest comes: "Sunday, 19:00" in the reader's language."""
    day = T(f"news.day.{turn.config.digest_weekday}")
    return T("news.when", day=day, time=turn.config.digest_time.strftime("%H:%M"))
