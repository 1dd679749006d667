"""Helpers for the outbox and scheduler tests: a small school, and a recording `Sender`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from models import (
    ChannelIdentity,
    Consent,
    GroupMember,
    Guardianship,
    Person,
    Programme,
    TutoringGroup,
)
from models.enums import Channel
from outbox.sender import Outcome, Outgoing, SendResult


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `check` to hold, polling; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def side_by_side(
    *runs: Callable[[], Coroutine[Any, Any, object]], timeout: float = 120
) -> list[BaseException]:
    """Run each coroutine in a thread of its own with its own event loop, as separate processes
    would; the errors they raised."""
    errors: list[BaseException] = []

    def run(work: Callable[[], Coroutine[Any, Any, object]]) -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


@dataclass
class Sent:
    at: float
    channel: str
    message: Outgoing


@dataclass
class RecordingSender:
    """Implements the `Sender` protocol: records every message, answers from a script.

    `script[address]` is a list of results used in turn (then "delivered"); `answer` may decide
    instead. The timestamp is taken when `send` is called, before any await.
    """

    channel: str
    script: dict[str, list[SendResult]] = field(default_factory=dict)
    answer: Callable[[Outgoing], SendResult] | None = None
    delay: float = 0.0
    sent: list[Sent] = field(default_factory=list)

    async def send(self, message: Outgoing) -> SendResult:
        self.sent.append(Sent(time.monotonic(), self.channel, message))
        if self.delay:
            await asyncio.sleep(self.delay)
        queue = self.script.get(message.address)
        if queue:
            return queue.pop(0)
        if self.answer is not None:
            return self.answer(message)
        return SendResult(Outcome.DELIVERED, provider_id=f"{self.channel}-{len(self.sent)}")

    def addresses(self) -> list[str]:
        return [s.message.address for s in self.sent]


def senders(*channels: str) -> dict[str, RecordingSender]:
    return {channel: RecordingSender(channel) for channel in channels or ("telegram", "whatsapp", "sms")}


@dataclass
class School:
    group_id: int
    tutor_id: int
    assistant_id: int
    pupils: list[int]
    guardians: list[int]


def person(session: Session, name: str, *, locale: str = "kk") -> Person:
    row = Person(external_id=name, full_name=f"Name {name}", locale=locale)
    session.add(row)
    session.flush()
    return row


def identity(
    session: Session,
    person_id: int,
    channel: str,
    address: str,
    *,
    priority: int = 0,
    last_inbound_at: datetime | None = None,
) -> ChannelIdentity:
    row = ChannelIdentity(
        person_id=person_id,
        channel=channel,
        address=address,
        priority=priority,
        chat_id=int(address) if channel == Channel.TELEGRAM and address.isdigit() else None,
        last_inbound_at=last_inbound_at,
    )
    session.add(row)
    session.flush()
    return row


def consent(session: Session, guardian_id: int, pupil_id: int, *, given: bool = True) -> Consent:
    row = Consent(
        guardian_id=guardian_id, pupil_id=pupil_id, text_version="v1", given=given, channel="telegram"
    )
    session.add(row)
    session.flush()
    return row


def school(
    session: Session,
    *,
    pupils: int = 3,
    consenting: int | None = None,
    code: str = "ALG-1",
    subject: str = "algebra",
    telegram_base: int = 1000,
) -> School:
    """A group of pupils, each with a guardian; the first `consenting` have consent (default all).
    Each person gets a Telegram identity with chat id `telegram_base + n`."""
    programme = session.exec(select(Programme).where(Programme.code == "digital-tutor")).first()
    if programme is None:
        programme = Programme(code="digital-tutor", name="Цифрлық ұстаз")
        session.add(programme)
        session.flush()
    tutor = person(session, f"{code}-tutor")
    assistant = person(session, f"{code}-assistant")
    group = TutoringGroup(
        code=code,
        programme_id=programme.id or 0,
        subject=subject,
        tutor_id=tutor.id,
        assistant_id=assistant.id,
    )
    session.add(group)
    session.flush()
    n = telegram_base
    assert tutor.id is not None and assistant.id is not None and group.id is not None
    for someone in (tutor, assistant):
        n += 1
        identity(session, someone.id or 0, "telegram", str(n))
    pupil_ids: list[int] = []
    guardian_ids: list[int] = []
    for i in range(pupils):
        pupil = person(session, f"{code}-pupil{i}")
        guardian = person(session, f"{code}-guardian{i}", locale="ru")
        assert pupil.id is not None and guardian.id is not None
        session.add(GroupMember(group_id=group.id, pupil_id=pupil.id))
        session.add(Guardianship(guardian_id=guardian.id, pupil_id=pupil.id))
        for someone in (pupil, guardian):
            n += 1
            identity(session, someone.id or 0, "telegram", str(n))
        if consenting is None or i < consenting:
            consent(session, guardian.id, pupil.id)
        pupil_ids.append(pupil.id)
        guardian_ids.append(guardian.id)
    return School(group.id, tutor.id, assistant.id, pupil_ids, guardian_ids)
