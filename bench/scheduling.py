"""Scheduling: how long the scheduler takes to re-derive a region's timetable after a restart, and how
late a reminder leaves against its due time.

1. Re-derivation: 50,000 weekly lessons (25,000 groups of 3 consenting pupils, a tutor and an
   assistant; two lessons a week each, Monday to Friday between 15:00 and 18:50) on a scratch SQLite
   store. The process "restarts" at 15:55 on a Monday: its first run derives everything due from 30
   minutes ago to 2 minutes ahead (the scheduler's own window), with the rows a previous run already
   wrote in place, as after a crash; then the same run with none written yet. Target < 10 s. Then
   the same on a Monday two days before a public holiday (Independence Day, Wednesday 16 December
   2026): the first run also tells every group with a Wednesday lesson that it is cancelled, and
   every run after looks at the three days ahead for days off.
2. Firing lag: the real APScheduler job and the outbox dispatcher run together; 60 lessons start in
   the next 10–11 minutes at scattered seconds, so their 10-minute reminders fall due over the next
   minute. Lag = the moment the sender is called minus the row's due time. Target p99 < 2 s.

    uv run --frozen python -m bench.scheduling
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, col

from models import (
    ChannelIdentity,
    Consent,
    GroupMember,
    Guardianship,
    Lesson,
    Notification,
    Person,
    Programme,
    TutoringGroup,
)
from models.clock import utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from outbox.sender import Outcome, Outgoing, SendResult
from scheduler.app import build_scheduler, derive_once
from scheduler.dispatcher import Dispatcher
from settings import Settings, load_settings

LESSONS = 50_000
PUPILS_PER_GROUP = 3
RESTART = datetime(2025, 3, 3, 15, 55)  # a Monday, local time (no calendar data: no days off near)
BEFORE_HOLIDAY = datetime(2026, 12, 14, 15, 55)  # a Monday; Wednesday is Independence Day
SLOTS = [clock_time(15 + m // 60, m % 60) for m in range(0, 240, 10)]  # 15:00 … 18:50


def scratch(folder: Path, name: str) -> tuple[Engine, Settings]:
    url = f"sqlite:///{folder / name}.sqlite3"
    engine = make_engine(url)
    upgrade(engine)
    quiet = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    return engine, load_settings(data_dir=folder, database_url=url, **quiet)  # type: ignore[arg-type]


def seed_region(
    engine: Engine, lessons: int, first_start: list[tuple[int, clock_time]] | None = None
) -> None:
    """Groups of consenting pupils with a tutor and an assistant, two lessons a week each (or the given
    (weekday, start) per group, one lesson each)."""
    groups = len(first_start) if first_start is not None else lessons // 2
    people_per_group = 2 + 2 * PUPILS_PER_GROUP
    with session_scope(engine) as session:
        programme = Programme(code="digital-tutor", name="Цифрлық ұстаз")
        session.add(programme)
        session.flush()
        session.execute(
            insert(Person),
            [
                {"external_id": f"p{n}", "full_name": f"P {n}", "locale": "kk"}
                for n in range(groups * people_per_group)
            ],
        )
        base = int(session.execute(select(func.min(Person.id))).scalar_one())

        def pid(group: int, k: int) -> int:
            return base + group * people_per_group + k  # 0 tutor, 1 assistant, 2.. pupil, guardian

        session.execute(
            insert(TutoringGroup),
            [
                {
                    "code": f"G{g}",
                    "programme_id": programme.id,
                    "subject": "algebra",
                    "tutor_id": pid(g, 0),
                    "assistant_id": pid(g, 1),
                }
                for g in range(groups)
            ],
        )
        first_group = int(session.execute(select(func.min(TutoringGroup.id))).scalar_one())
        pupils = [
            (g, pid(g, 2 + 2 * k), pid(g, 3 + 2 * k)) for g in range(groups) for k in range(PUPILS_PER_GROUP)
        ]
        session.execute(
            insert(GroupMember), [{"group_id": first_group + g, "pupil_id": p} for g, p, _ in pupils]
        )
        session.execute(insert(Guardianship), [{"guardian_id": gd, "pupil_id": p} for _, p, gd in pupils])
        now = utcnow()
        session.execute(
            insert(Consent),
            [
                {
                    "guardian_id": gd,
                    "pupil_id": p,
                    "scope": "programme",
                    "text_version": "v1",
                    "given": True,
                    "decided_at": now,
                    "channel": "telegram",
                }
                for _, p, gd in pupils
            ],
        )
        if first_start is not None:
            rows = [
                {
                    "group_id": first_group + g,
                    "weekday": wd,
                    "start_time": at,
                    "link": "https://meet.example/x",
                }
                for g, (wd, at) in enumerate(first_start)
            ]
        else:
            rows = []
            for g in range(groups):
                for k in range(2):  # Mon/Wed, Tue/Thu or Wed/Fri at the same time
                    slot = (g * 7 + k) % (len(SLOTS) * 5)
                    rows.append(
                        {
                            "group_id": first_group + g,
                            "weekday": (g % 3) + 2 * k,
                            "start_time": SLOTS[slot % len(SLOTS)],
                            "link": "https://meet.example/x",
                        }
                    )
        session.execute(insert(Lesson), [{**r, "minutes": 60, "active": True} for r in rows])


def count_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Notification)).scalar_one())


def rederive(folder: Path, name: str = "region", local_restart: datetime = RESTART) -> None:
    engine, settings = scratch(folder, name)
    started = time.monotonic()
    seed_region(engine, LESSONS)
    seeded = time.monotonic() - started
    restart = local_restart.replace(tzinfo=settings.zone).astimezone(UTC)
    with Session(engine) as session:
        lessons = int(session.execute(select(func.count()).select_from(Lesson)).scalar_one())
    print(f"\n[re-derivation, {local_restart:%a %d.%m.%Y %H:%M}] {lessons} lessons seeded in {seeded:.1f} s")

    started = time.monotonic()
    offered = derive_once(engine, settings, clock=lambda: restart)
    first = time.monotonic() - started
    written = count_rows(engine)
    started = time.monotonic()
    again = derive_once(engine, settings, clock=lambda: restart)
    collapsed = time.monotonic() - started
    print(
        f"  first run after start, nothing derived yet   {first:6.2f} s ({offered} offered, {written} rows)"
    )
    print(f"  run after a restart, rows already there      {collapsed:6.2f} s ({again} offered, "
          f"{count_rows(engine) - written} new rows)  (target < 10 s)")  # fmt: skip
    engine.dispose()


class Recorder:
    channel = "telegram"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.calls: list[tuple[str, float]] = []

    async def send(self, message: Outgoing) -> SendResult:
        self.calls.append((message.address, time.time()))
        return SendResult(Outcome.DELIVERED)


async def firing_lag(folder: Path) -> None:
    engine, settings = scratch(folder, "lag")
    zone = settings.zone
    now = datetime.now(zone)
    starts = [now + timedelta(minutes=10, seconds=5 + k) for k in range(60)]
    seed_region(engine, 0, [(s.weekday(), s.time().replace(microsecond=0)) for s in starts])
    with session_scope(engine) as session:
        people = session.execute(select(col(Person.id))).scalars().all()
        session.execute(
            insert(ChannelIdentity),
            [
                {
                    "person_id": p,
                    "channel": "telegram",
                    "address": str(p),
                    "chat_id": p,
                    "created_at": utcnow(),
                }
                for p in people
            ],
        )
    sender = Recorder(engine)
    dispatcher = Dispatcher(engine, {"telegram": sender}, settings)
    scheduler = build_scheduler(engine, settings, on_derived=dispatcher.notify)
    stop = asyncio.Event()
    scheduler.start()
    runner = asyncio.create_task(dispatcher.run(stop))
    last_due = max(starts) - timedelta(minutes=10)
    await asyncio.sleep(max(0.0, (last_due - datetime.now(zone)).total_seconds()) + 3)
    stop.set()
    await runner
    scheduler.shutdown(wait=False)
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(Notification.id),
                col(Notification.due_at),
                col(Notification.sent_at),
                col(Notification.person_id),
            ).where(
                col(Notification.kind).like("lesson.reminder%"),
                col(Notification.due_at) <= last_due.astimezone(UTC),
                col(Notification.due_at) >= now.astimezone(UTC),
            )
        ).all()
    sent_at = {address: at for address, at in sender.calls}
    lags = sorted(
        sent_at[str(person)] - due.timestamp() for _id, due, _sent, person in rows if str(person) in sent_at
    )
    missing = len(rows) - len(lags)
    p = statistics.quantiles(lags, n=100) if len(lags) > 1 else lags
    print(f"\n[firing lag] {len(rows)} reminders due over {len(starts)} s, the outbox otherwise idle")
    print(
        f"  p50 {statistics.median(lags):5.2f} s   p99 {p[98]:5.2f} s   max {max(lags):5.2f} s"
        "   (target p99 < 2 s)"
    )
    print(f"  not sent by the end: {missing}")
    engine.dispose()


def main() -> None:
    print("bench.scheduling")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; SQLite"
    )
    with tempfile.TemporaryDirectory(prefix="ustaz-scheduling-") as tmp:
        rederive(Path(tmp))
        rederive(Path(tmp), "holiday", BEFORE_HOLIDAY)
        asyncio.run(firing_lag(Path(tmp)))


if __name__ == "__main__":
    main()
