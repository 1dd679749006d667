"""Thread replies: how long a staff member's answer takes to reach the family's chat.

The bot runs as its own process (`python -m bots`, webhook mode, every part in one process, as
deployed on one machine) against the Telegram emulator here, with the sample school. First every
parent of a pupil in a group writes to their child's tutor (the subject named in the words, so the
message goes without a question); the outbox delivers the messages to the tutors' chats. Then the
tutors answer, paced, round after round, each answer to another family, two ways side by side:

* reply: Telegram's "Reply" to the delivered message (the thread is found by the message's id,
  which the outbox recorded on delivery);
* reference: a typed "#12 …" (as on WhatsApp and SMS).

Latency runs from the tutor's message entering the emulator to the answer appearing in the family's
chat: the tutor's turn, the outbox row, the dispatcher woken, the send. Target (issue 18): p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bench.common import (
    BotProcess,
    engine_name,
    free_port,
    machine,
    percentile,
    scratch_database,
    temporary_folder,
    wait_for_webhook,
)
from handlers.threads.write import SUBJECT_WORDS
from models.migrate import upgrade
from models.people import ChannelIdentity, Guardianship, Person
from models.school import GroupMember, TutoringGroup
from models.store import make_engine
from roster import import_roster
from sandbox.telegram_emulator import ChatMessage, RateLimits, TelegramEmulator

SAMPLE_ROSTER = Path(__file__).resolve().parent.parent / "sandbox" / "sample_roster.xlsx"
TOKEN = "700000003:BenchTokenForThreadReplies0000000000"
USERS_FROM = 6_000_000
# Answers a second, all tutors together, taken in turn: each tutor writes well under one message a
# second, as a person does (faster, beyond a burst of 30, the bot's flood guard drops updates).
RATE = 2.0
REFERENCE = re.compile(r"^#(\d+) ")
WAYS = ("reply", "reference")


def seed_families(engine: Engine) -> tuple[list[tuple[int, str]], set[int]]:
    """Import the sample school and give everyone a Telegram chat. Returns, for one parent of each
    pupil in a tutored group, (their user id, a first message naming the subject), and the tutors'
    user ids."""
    report = import_roster(engine, SAMPLE_ROSTER, dry_run=False, invite_ttl=timedelta(days=30))
    assert report.ok, report.errors
    with Session(engine) as session:
        for person in session.exec(select(Person)).all():
            assert person.id is not None
            person.locale_chosen = True
            user_id = USERS_FROM + person.id
            session.add(
                ChannelIdentity(
                    person_id=person.id, channel="telegram", address=str(user_id), chat_id=user_id
                )
            )
        families: list[tuple[int, str]] = []
        seen: set[int] = set()
        tutors: set[int] = set()
        for member, group in session.exec(
            select(GroupMember, TutoringGroup).where(col(GroupMember.group_id) == col(TutoringGroup.id))
        ).all():
            guardian = session.exec(
                select(Guardianship.guardian_id).where(Guardianship.pupil_id == member.pupil_id)
            ).first()
            stems = SUBJECT_WORDS.get(group.subject)
            if guardian is None or guardian in seen or not stems or group.tutor_id is None:
                continue
            seen.add(guardian)
            tutors.add(USERS_FROM + group.tutor_id)
            families.append((USERS_FROM + guardian, f"{stems[0].capitalize()}: сұрақ бар еді"))
        session.commit()
    return families, tutors


class Chats:
    """What the emulator shows: messages delivered to tutors (by thread), answers reaching families."""

    def __init__(self, tutors: set[int], families: set[int]) -> None:
        self.tutors, self.families = tutors, families
        self.questions: dict[int, ChatMessage] = {}  # thread id → the message in the tutor's chat
        self.waiting: dict[str, float] = {}  # answer text → when the tutor sent it
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.way_of: dict[str, str] = {}
        self.arrived = asyncio.Event()

    def observe(self, message: ChatMessage) -> None:
        text = message.text or ""
        if message.chat_id in self.tutors and (found := REFERENCE.match(text)):
            self.questions.setdefault(int(found.group(1)), message)
            self.arrived.set()
        elif message.chat_id in self.families:
            for answer, started in list(self.waiting.items()):
                if answer in text:
                    self.latencies[self.way_of[answer]].append(time.perf_counter() - started)
                    del self.waiting[answer]


async def questions_delivered(chats: Chats, count: int, bot: BotProcess) -> None:
    deadline = time.monotonic() + 120
    while len(chats.questions) < count:
        if time.monotonic() > deadline or bot.failed():
            raise TimeoutError(f"{len(chats.questions)} of {count} questions reached the tutors")
        chats.arrived.clear()
        try:
            await asyncio.wait_for(chats.arrived.wait(), timeout=1)
        except TimeoutError:
            continue


async def answer_rounds(emulator: TelegramEmulator, chats: Chats, rounds: int) -> None:
    """Every thread answered once a round, paced at `RATE`, alternating the two ways."""
    by_tutor: dict[int, list[tuple[int, ChatMessage]]] = defaultdict(list)
    for thread_id, question in sorted(chats.questions.items()):
        by_tutor[question.chat_id].append((thread_id, question))
    longest = max(len(threads) for threads in by_tutor.values())
    in_turn = [threads[i] for i in range(longest) for threads in by_tutor.values() if i < len(threads)]
    number = 0
    for round_number in range(rounds):
        for thread_id, question in in_turn:
            way = WAYS[number % len(WAYS)]
            answer = f"Жауап {round_number}-{thread_id}-{way}"
            chats.waiting[answer], chats.way_of[answer] = time.perf_counter(), way
            if way == "reply":
                emulator.inject_text(question.chat_id, answer, reply_to=question.message_id)
            else:
                emulator.inject_text(question.chat_id, f"#{thread_id} {answer}")
            number += 1
            await asyncio.sleep(1 / RATE)
    deadline = time.monotonic() + 30
    while chats.waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def run(quick: bool) -> None:
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        families, tutors = seed_families(engine)
        engine.dispose()
        chats = Chats(tutors, {user_id for user_id, _ in families})
        async with TelegramEmulator(TOKEN, rate_limits=RateLimits.unlimited()) as emulator:
            emulator.on_bot_message.append(chats.observe)
            for user_id in chats.tutors | chats.families:
                emulator.add_user(user_id, "Bench")
            port = free_port()
            bot = BotProcess(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": emulator.base_url or "",
                    "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
                    "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                    "HTTP_PORT": str(port),
                    "DATABASE_URL": db_url,
                    "QUIET_HOURS_START": "00:00",  # the answers go whatever the hour of the run
                    "QUIET_HOURS_END": "00:00",
                },
                folder,
            )
            bot.start()
            try:
                await wait_for_webhook(emulator, bot)
                for user_id, text in families:
                    emulator.inject_text(user_id, text)
                await questions_delivered(chats, len(families), bot)
                await answer_rounds(emulator, chats, 3 if quick else 15)
            finally:
                await bot.stop()
        print(f"thread replies ({engine_name(db_url)}, webhook mode; {machine()})")
        print(
            f"  {len(families)} families, {len(tutors)} tutors, answers paced at {RATE:.0f}/s, tutors in turn"
        )
        for way in WAYS:
            found = chats.latencies[way]
            print(
                f"  {way:9} {len(found):4} answers: p50 {percentile(found, 0.5) * 1000:6.1f} ms, "
                f"p99 {percentile(found, 0.99) * 1000:6.1f} ms, max {max(found, default=0) * 1000:6.1f} ms"
                "   (target p99 < 1 s)"
            )
        if chats.waiting:
            raise SystemExit(f"  {len(chats.waiting)} answers never arrived")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three rounds, for a smoke run")
    args = parser.parse_args()
    asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()
