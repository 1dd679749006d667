"""Many recipients at once, for the outbox's fan-out benchmarks and its multi-process tests.

`count` guardians, each with a Telegram chat (`first_chat + i`) and one due broadcast row, written
with bulk INSERTs in chunks (the enqueue path, one row at a time, has its own tests).
"""

from __future__ import annotations

from sqlalchemy import Engine, insert
from sqlmodel import col

from locales import T
from models import ChannelIdentity, Notification, Person
from models.clock import utcnow
from models.store import session_scope
from outbox.write import params_to_json

CHUNK = 10_000


def seed_broadcast(engine: Engine, count: int, *, first_chat: int, locale: str = "kk") -> None:
    now = utcnow()
    message = T("notify.homework.reminder", subject="Алгебра", due="04.03 18:00")
    for start in range(0, count, CHUNK):
        numbers = range(start, min(start + CHUNK, count))
        with session_scope(engine) as session:
            ids = session.execute(
                insert(Person).returning(col(Person.id), sort_by_parameter_order=True),
                [{"external_id": f"g{i}", "full_name": f"G {i}", "locale": locale} for i in numbers],
            ).scalars()
            people = dict(zip(numbers, ids, strict=True))
            session.execute(
                insert(ChannelIdentity),
                [
                    {
                        "person_id": person_id,
                        "channel": "telegram",
                        "address": str(first_chat + i),
                        "chat_id": first_chat + i,
                        "created_at": now,
                    }
                    for i, person_id in people.items()
                ],
            )
            session.execute(
                insert(Notification),
                [
                    {
                        "idempotency_key": f"broadcast:{person_id}:",
                        "person_id": person_id,
                        "kind": "broadcast",
                        "key": message.key,
                        "params": params_to_json(message.params),
                        "status": "pending",
                        "due_at": now,
                        "created_at": now,
                    }
                    for person_id in people.values()
                ],
            )
