"""Opt-out: STOP / ТОҚТАТУ / СТОП stops every message to the number it came from; START resumes.

Channel-neutral: the keyword is a whole message, in any case and script. A phone number is one
person's choice, so a stop sent over WhatsApp also stops SMS to that number, and the other way round.
The outbox skips opted-out identities (`outbox.route`); the confirmation is the direct reply.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from handlers.context import Turn
from handlers.types import Reply
from locales import T
from models.enums import Channel
from models.journal import AuditLog
from models.people import ChannelIdentity

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "тоқтату", "токтату", "toqtatu", "стоп"})
START_WORDS = frozenset({"start", "unstop", "бастау", "старт"})
PHONE_CHANNELS = (Channel.WHATSAPP.value, Channel.SMS.value)


def keyword(text: str) -> str:
    """The message as one lower-case word without punctuation ("Stop!" → "stop"), or ""."""
    word = text.strip().strip(".!?,;:'\"«»").casefold()
    return word if word.isalpha() else ""


def route(turn: Turn) -> list[Reply] | None:
    """The confirmation when this turn is STOP or START, else None."""
    word = keyword(turn.inbound.text)
    if word in STOP_WORDS:
        _set(turn, turn.now)
        return [Reply(T("optout.stopped"))]
    if word in START_WORDS:
        _set(turn, None)
        return [Reply(T("optout.resumed"))]
    return None


def _set(turn: Turn, opted_out_at: datetime | None) -> None:
    identity = turn.identity
    turn.identity_id()  # kept: a STOP holds for the next message too
    same_number = [identity]
    if identity.channel in PHONE_CHANNELS:
        same_number = list(
            turn.session.exec(
                select(ChannelIdentity).where(
                    ChannelIdentity.address == identity.address,
                    col(ChannelIdentity.channel).in_(PHONE_CHANNELS),
                )
            ).all()
        )
    for held in same_number:
        held.opted_out_at = opted_out_at
        turn.session.add(held)
    turn.session.add(
        AuditLog(
            actor_id=identity.person_id,
            action="identity.opted_out" if opted_out_at else "identity.opted_in",
            entity="channel_identity",
            entity_id=identity.id,
            detail={"channel": identity.channel, "identities": [held.id for held in same_number]},
        )
    )
