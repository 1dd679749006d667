"""Inbound: updates handled end to end, from the Telegram emulator through the bot's webhook to the
reply recorded by the emulator.

The bot runs as its own process (`python -m bots`, webhook mode), as deployed; the emulator runs
here and timestamps every injected update and every reply. Three runs:

* throughput: a burst of `/start` from new users, all at once; updates/s = replies / elapsed;
* the same from the people of the sample school (each has joined), 20 each, all at once: these turns
  also read the person, their roles and conversation, and a chat answered under a second ago gets
  its reply as a request of its own rather than in the webhook's answer;
* latency: `/start` paced well below capacity; p50/p99 from injection to reply;
* photos: pupils of the sample school (consent given, one open homework each) send photos of a
  written page; each is downloaded, checked, normalised and judged legible (in the bot's photo
  worker processes), stored and answered with a receipt. One photo each first, unmeasured, so the
  workers are running, as in a bot that has run.

Then the resident size of the bot process with the sample school loaded, and of its photo workers.
Targets (issue 3): >= 300 updates/s, p99 < 50 ms, >= 50 photo submissions/s, RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import Engine
from sqlmodel import Session, select

from bench.common import (
    BotProcess,
    cpu_seconds,
    descendants,
    engine_name,
    free_port,
    machine,
    percentile,
    resident_kib,
    scratch_database,
    temporary_folder,
    wait_for_webhook,
)
from models.clock import utcnow
from models.homework import Homework
from models.migrate import upgrade
from models.people import ChannelIdentity, Consent, Guardianship, Person
from models.school import GroupMember, TutoringGroup
from models.store import make_engine
from roster import import_roster
from sandbox.telegram_emulator import ChatMessage, RateLimits, TelegramEmulator

SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "sandbox" / "sample_roster.xlsx"
TOKEN = "700000002:BenchTokenForInboundUpdates000000000"
STRANGERS_FROM = 5_000_000
PUPILS_FROM = 9_000_000
KNOWN_FROM = 8_000_000
KNOWN_ROUNDS = 20  # within the flood limit: 30 at once per person


class Replies:
    """First reply time per chat after each injection."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.waiters: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    def injected(self, chat_id: int) -> None:
        self.sent_at[chat_id] = time.perf_counter()
        self.waiters[chat_id].clear()

    def observe(self, message: ChatMessage) -> None:
        started = self.sent_at.pop(message.chat_id, None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            self.waiters[message.chat_id].set()


def seed_school(engine: Engine) -> tuple[list[tuple[int, int]], list[int]]:
    """Import the sample school; give every pupil consent and one open homework, and everyone a
    Telegram identity. Returns (telegram user id, person id) of pupils with exactly one open
    homework, and the Telegram user ids of everyone else."""
    report = import_roster(engine, SAMPLE_ROSTER, dry_run=False, invite_ttl=timedelta(days=30))
    assert report.ok, report.errors
    now = utcnow()
    with Session(engine) as session:
        taken: set[int] = set()
        chosen: list[int] = []
        for group in session.exec(select(TutoringGroup)).all():
            members = session.exec(select(GroupMember.pupil_id).where(GroupMember.group_id == group.id)).all()
            if taken.isdisjoint(members):
                assert group.id is not None
                taken.update(members)
                chosen.append(group.id)
                session.add(
                    Homework(
                        group_id=group.id,
                        tutor_id=group.tutor_id,
                        text="§12, 1-5",
                        due_at=now + timedelta(days=3),
                    )
                )
        pupils: list[tuple[int, int]] = []
        for guardianship in session.exec(select(Guardianship)).all():
            session.add(
                Consent(
                    guardian_id=guardianship.guardian_id,
                    pupil_id=guardianship.pupil_id,
                    text_version="v1",
                    given=True,
                    channel="telegram",
                )
            )
        for person_id in sorted(taken):
            person = session.get(Person, person_id)
            assert person is not None
            person.locale_chosen = True
            user_id = PUPILS_FROM + person_id
            session.add(
                ChannelIdentity(
                    person_id=person_id, channel="telegram", address=str(user_id), chat_id=user_id
                )
            )
            pupils.append((user_id, person_id))
        others: list[int] = []
        for person in session.exec(select(Person)).all():
            if person.id in taken or person.id is None:
                continue
            person.locale_chosen = True
            user_id = KNOWN_FROM + person.id
            session.add(
                ChannelIdentity(
                    person_id=person.id, channel="telegram", address=str(user_id), chat_id=user_id
                )
            )
            others.append(user_id)
        session.commit()
    return pupils, others


def phone_photo(width: int = 1600, height: int = 1200) -> bytes:
    """A photo of a written page, as a phone sends it: lines of dark strokes on light paper under
    uneven light (a tutor could read it, so the hand-in goes through)."""
    light = Image.radial_gradient("L").resize((width, height)).point(lambda v: 255 - v // 4)
    page = Image.merge("RGB", (light, light, light))
    draw = ImageDraw.Draw(page)
    for row, top in enumerate(range(80, height - 80, 48)):
        for left in range(80, width - 80, 36):
            if (left // 36 + row) % 6:
                draw.rectangle((left, top, left + 22, top + 26), fill=(30, 30, 60))
    out = io.BytesIO()
    page.save(out, "JPEG", quality=85)
    return out.getvalue()


async def burst(emulator: TelegramEmulator, replies: Replies, count: int) -> float:
    replies.latencies.clear()
    users = range(STRANGERS_FROM, STRANGERS_FROM + count)
    for user_id in users:
        emulator.add_user(user_id, "Bench")
    started = time.perf_counter()
    for user_id in users:
        replies.injected(user_id)
        emulator.inject_text(user_id, "/start")
    await asyncio.wait_for(asyncio.gather(*(replies.waiters[u].wait() for u in users)), timeout=300)
    return count / (time.perf_counter() - started)


async def known_burst(emulator: TelegramEmulator, people: list[int], rounds: int) -> float:
    """Everyone sends `/start` `rounds` times at once; updates/s until every reply is in."""
    expected = len(people) * rounds
    answered = [0]
    done = asyncio.Event()
    chats = set(people)

    def count(message: ChatMessage) -> None:
        if message.chat_id in chats:
            answered[0] += 1
            if answered[0] >= expected:
                done.set()

    for user_id in people:
        emulator.add_user(user_id, "Known")
    emulator.on_bot_message.append(count)
    started = time.perf_counter()
    for _ in range(rounds):
        for user_id in people:
            emulator.inject_text(user_id, "/start")
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    emulator.on_bot_message.remove(count)
    return expected / elapsed


async def paced(emulator: TelegramEmulator, replies: Replies, count: int, rate: float) -> list[float]:
    replies.latencies.clear()
    first = STRANGERS_FROM + 500_000
    users = range(first, first + count)
    for user_id in users:
        emulator.add_user(user_id, "Bench")
    for user_id in users:
        replies.injected(user_id)
        emulator.inject_text(user_id, "/start")
        await asyncio.sleep(1 / rate)
    await asyncio.wait_for(asyncio.gather(*(replies.waiters[u].wait() for u in users)), timeout=120)
    return list(replies.latencies)


async def photos(
    emulator: TelegramEmulator, replies: Replies, pupils: list[tuple[int, int]], per_pupil: int
) -> float:
    data = phone_photo()
    for user_id, _ in pupils:
        emulator.add_user(user_id, "Pupil")

    async def one_pupil(user_id: int) -> None:
        for _ in range(per_pupil):
            replies.injected(user_id)
            emulator.inject_photo(user_id, data)
            await asyncio.wait_for(replies.waiters[user_id].wait(), timeout=120)

    started = time.perf_counter()
    await asyncio.gather(*(one_pupil(user_id) for user_id, _ in pupils))
    return len(pupils) * per_pupil / (time.perf_counter() - started)


async def run(quick: bool) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        pupils, known = seed_school(engine)
        engine.dispose()
        replies = Replies()
        async with TelegramEmulator(TOKEN, rate_limits=RateLimits.unlimited()) as emulator:
            emulator.on_bot_message.append(replies.observe)
            port = free_port()
            bot = BotProcess(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": emulator.base_url or "",
                    "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
                    "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                    "HTTP_PORT": str(port),
                    "DATABASE_URL": db_url,
                    "LOG_LEVEL": "WARNING",
                },
                folder,
            )
            bot.start()
            try:
                await wait_for_webhook(emulator, bot)
                await burst(emulator, replies, 50)  # warm up
                count = 500 if quick else 3000
                cpu_before = cpu_seconds(bot.pid)
                rate = await burst(emulator, replies, count)
                cpu_per_update = (cpu_seconds(bot.pid) - cpu_before) / count
                cpu_before = cpu_seconds(bot.pid)
                known_rate = await known_burst(emulator, known, KNOWN_ROUNDS)
                known_cpu = (cpu_seconds(bot.pid) - cpu_before) / (len(known) * KNOWN_ROUNDS)
                latencies = await paced(emulator, replies, 200 if quick else 1000, rate=100)
                await photos(emulator, replies, pupils, 1)  # warm-up: the photo workers start
                photo_rate = await photos(emulator, replies, pupils, 2 if quick else 5)
                memory = resident_kib(bot.pid)
                workers = [resident_kib(pid).get("VmRSS", 0) for pid in descendants(bot.pid)]
            except TimeoutError:
                raise RuntimeError(f"no answer in time; the bot's log ends:\n{bot.log_tail()}") from None
            finally:
                await bot.stop()
        print(f"inbound ({engine_name(db_url)}, webhook mode; {machine()})")
        print(
            f"  /start burst:        {rate:8.0f} updates/s   (target >= 300); "
            f"the bot used {cpu_per_update * 1000:.2f} ms of CPU per update"
        )
        print(
            f"  /start, {len(known)} known people x {KNOWN_ROUNDS}: {known_rate:5.0f} updates/s; "
            f"the bot used {known_cpu * 1000:.2f} ms of CPU per update"
        )
        print(
            f"  /start at 100/s:     p50 {percentile(latencies, 0.5) * 1000:6.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms   (target p99 < 50 ms)"
        )
        print(f"  photo submissions:   {photo_rate:8.1f} /s stored, {len(pupils)} pupils   (target >= 50)")
        print(
            f"  bot process memory:  {memory.get('VmRSS', 0) / 1024:6.0f} MB resident, "
            f"peak {memory.get('VmHWM', 0) / 1024:.0f} MB   (target < 200 MB)"
        )
        print(f"  photo workers:       {sum(workers) / 1024:6.0f} MB resident in {len(workers)} processes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer updates, for a smoke run")
    args = parser.parse_args()
    asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()
