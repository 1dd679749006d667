"""Quiet hours, 21:00–08:00 Asia/Almaty by default: nothing non-urgent is delivered then, it waits for
the morning; a person's own hours override the default either way; an urgent message goes and
leaves an audit row."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import T
from models import AuditLog, Notification, Person
from models.store import session_scope
from outbox.write import enqueue
from scheduler.dispatcher import Dispatcher
from settings import Settings
from tests.support.outbox import School, school, senders

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
DUE = datetime(2025, 3, 1, tzinfo=UTC)  # due well before every moment below
TEXT = T("notify.homework.reminder", subject="Алгебра", due="04.03 18:00")


def _rows(engine: Engine) -> dict[str, Notification]:
    with Session(engine) as session:
        return {r.idempotency_key: r for r in session.exec(select(Notification)).all()}


def _school(engine: Engine) -> School:
    with session_scope(engine) as session:
        return school(session)


def _enqueue(engine: Engine, person_id: int, key: str, *, urgent: bool = False) -> None:
    with session_scope(engine) as session:
        enqueue(
            session, person_id=person_id, kind="x", text=TEXT, idempotency_key=key, urgent=urgent, due_at=DUE
        )


async def _dispatch(engine: Engine, settings: Settings, at: datetime) -> list[str]:
    out = senders()
    with time_machine.travel(at, tick=True):
        await Dispatcher(engine, out, settings).run_until_idle()
    return out["telegram"].addresses()


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59, 30), False),
        (time(21, 0), True),
        (time(3, 0), True),
        (time(7, 59, 30), True),
        (time(8, 0), False),
    ],
)
async def test_the_default_quiet_hours_are_21_to_8_in_almaty(
    engine: Engine, settings: Settings, local: time, quiet: bool
) -> None:
    s = _school(engine)
    _enqueue(engine, s.tutor_id, "q:")
    at = datetime(2025, 3, 3, local.hour, local.minute, local.second, tzinfo=ALMATY)
    sent = await _dispatch(engine, settings, at)
    row = _rows(engine)["q:"]
    assert (row.status == "pending") is quiet and bool(sent) is not quiet
    if quiet:
        morning = datetime(2025, 3, 4 if local.hour >= 21 else 3, 8, 0, tzinfo=ALMATY)
        assert row.next_attempt_at == morning and row.attempts == 0


async def test_a_persons_own_quiet_hours_hold_a_message_the_default_would_send(
    engine: Engine, settings: Settings
) -> None:
    s = _school(engine)
    with session_scope(engine) as session:
        early = session.get(Person, s.tutor_id)
        assert early is not None
        early.quiet_start, early.quiet_end = time(20, 0), time(9, 0)
    _enqueue(engine, s.tutor_id, "own:")
    _enqueue(engine, s.assistant_id, "default:")
    evening = datetime(2025, 3, 3, 20, 30, tzinfo=ALMATY)
    await _dispatch(engine, settings, evening)
    rows = _rows(engine)
    assert rows["default:"].status == "sent"
    assert rows["own:"].status == "pending"
    assert rows["own:"].next_attempt_at == datetime(2025, 3, 4, 9, 0, tzinfo=ALMATY)
    # still held at 08:30 (the default's morning), delivered from 09:00 (the person's)
    assert await _dispatch(engine, settings, datetime(2025, 3, 4, 8, 30, tzinfo=ALMATY)) == []
    assert len(await _dispatch(engine, settings, datetime(2025, 3, 4, 9, 0, 5, tzinfo=ALMATY))) == 1
    assert _rows(engine)["own:"].status == "sent"


async def test_an_urgent_message_goes_in_quiet_hours_and_is_audited(
    engine: Engine, settings: Settings
) -> None:
    s = _school(engine)
    _enqueue(engine, s.guardians[0], "urgent:", urgent=True)
    _enqueue(engine, s.guardians[1], "calm:")
    night = datetime(2025, 3, 3, 23, 45, tzinfo=ALMATY)
    sent = await _dispatch(engine, settings, night)
    rows = _rows(engine)
    assert rows["urgent:"].status == "sent" and rows["calm:"].status == "pending" and len(sent) == 1
    with Session(engine) as session:
        (entry,) = session.exec(
            select(AuditLog).where(AuditLog.action == "notification.urgent_in_quiet_hours")
        ).all()
    assert entry.entity_id == rows["urgent:"].id
    assert entry.detail == {"person_id": s.guardians[0], "kind": "x"}  # ids only, never a name
    assert entry.at.astimezone(UTC).hour == 18  # 23:45 in Almaty
