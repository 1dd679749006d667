"""Joining: an invite code (deep link or typed), a shared phone number that matches the roster, or a
WhatsApp/SMS number the roster already knows. Strangers get a polite explanation and nothing else."""

from __future__ import annotations

import re

from sqlmodel import select

from handlers import language
from handlers.context import Turn, roles_of
from handlers.types import Reply
from locales import InLanguages, T, Text
from models.invites import CODE_LENGTH, InviteError, normalise_code, redeem_invite
from models.journal import AuditLog
from models.people import Person
from models.phones import BadPhone, normalize_phone
from models.store import stored_id

_CODE_LIKE = re.compile(r"^[A-Za-z0-9\- ]{6,24}$")
# The languages a stranger is greeted in: most families read one of them.
FIRST_CONTACT_LANGUAGES = ("kk", "ru")


def start_argument(text: str) -> str | None:
    """The payload of `/start CODE` (deep link) or a bare typed code."""
    parts = text.strip().split(maxsplit=1)
    if parts and parts[0].split("@")[0] == "/start":
        return parts[1] if len(parts) > 1 else None
    if _CODE_LIKE.match(text.strip()) and len(normalise_code(text)) == CODE_LENGTH:
        return text
    return None


def bind(turn: Turn, person: Person, how: str) -> list[Reply]:
    person_id = stored_id(person)
    turn.identity.person_id = person_id
    identity_id = turn.identity_id()
    turn.person = person
    turn.roles = roles_of(turn.session, person_id)
    turn.session.add(
        AuditLog(
            actor_id=person_id,
            action="identity.bound",
            entity="channel_identity",
            entity_id=identity_id,
            detail={"how": how, "channel": turn.identity.channel},
        )
    )
    return [Reply(T("join.welcome", name=person.full_name)), language.ask(turn)]


def by_code(turn: Turn, code: str) -> list[Reply]:
    try:
        person = redeem_invite(turn.session, code, identity_id=turn.identity_id(), now=turn.now)
    except InviteError as error:
        return [Reply(T(f"join.code_{error.reason}"))]
    return bind(turn, person, "invite")


def by_phone(turn: Turn, raw_phone: str) -> list[Reply] | None:
    """A phone the roster knows binds at once; None when it is not on the roster."""
    try:
        phone = normalize_phone(raw_phone)
    except BadPhone:
        return None
    person = turn.session.exec(select(Person).where(Person.phone == phone)).first()
    return bind(turn, person, "phone") if person else None


def greet(turn: Turn) -> list[Reply]:
    """/start from someone who has joined: a greeting (a code they send again changes nothing)."""
    if start_argument(turn.inbound.text):
        return [Reply(T("join.already_joined"))]
    return [Reply(T("start.greeting", name=turn.person.full_name if turn.person else ""))]


def stranger(turn: Turn) -> list[Reply]:
    return first_contact(turn, T("join.stranger"))


def first_contact(turn: Turn, text: Text, *, request_contact: bool = False) -> list[Reply]:
    """An answer to someone whose language is not known yet: one message, in Kazakh and in Russian,
    the language their app uses first (`Turn.locale`, which also labels Telegram's share button)."""
    both = InLanguages(text.key, text.params, text.count, FIRST_CONTACT_LANGUAGES)
    return [Reply(both, locale=turn.locale, request_contact=request_contact)]
