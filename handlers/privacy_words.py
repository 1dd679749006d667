"""A family's own data in words, on WhatsApp: /mydata (ДЕРЕКТЕР / ДАННЫЕ / MY DATA) reads there what
is stored about each child — their subjects, each consent decision, the chats they write from, and
how many pieces of work, pages, grades, attendance marks and messages are kept — before the whole
file, which follows in the next message (a data file is for a computer; a parent reads a phone).
The text goes in as many WhatsApp messages as it needs (`bots.whatsapp.render.bodies`). By SMS the
counts alone go (`handlers.privacy_sms`); Telegram sends the file, with its caption."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.privacy_sms import counts
from handlers.types import Reply
from locales import Lines, T, Text, subject_name
from models.clock import to_local
from models.people import Person


def told(children: list[tuple[Person, dict[str, Any]]], zone: ZoneInfo) -> Reply:
    """Each child's part (`stored` is `handlers.privacy.everything` for that child)."""
    return Reply(T("mydata.words", pupils=Lines(tuple(_child(p, stored, zone) for p, stored in children))))


def _child(pupil: Person, stored: dict[str, Any], zone: ZoneInfo) -> Text:
    subjects = sorted({str(group["subject"]) for group in stored["groups"]})
    lines = [T("mydata.words.subject", subject=subject_name(subject)) for subject in subjects]
    lines += [_consent(decision, zone) for decision in stored["consents"]]
    channels = sorted({str(identity["channel"]) for identity in stored["chat_identities"]})
    lines += [T("mydata.words.chat", channel=T(f"channels.name.{channel}")) for channel in channels]
    if not channels:
        lines.append(T("mydata.words.no_chat"))
    lines.append(T("mydata.words.kept", **counts(stored)))
    return T("mydata.words.pupil", pupil=pupil.full_name, lines=Lines(tuple(lines)))


def _consent(decision: dict[str, Any], zone: ZoneInfo) -> Text:
    """One consent decision: given (and perhaps withdrawn) or refused, with its dates and channel."""
    channel = T(f"channels.name.{decision['channel']}")
    params = {"date": _day(decision["decided_at"], zone), "channel": channel}
    if not decision["given"]:
        return T("mydata.words.refused", **params)
    if decision["withdrawn_at"] is not None:
        return T("mydata.words.withdrawn", withdrawn=_day(decision["withdrawn_at"], zone), **params)
    return T("mydata.words.given", **params)


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return to_local(moment, zone).strftime("%d.%m.%Y")
