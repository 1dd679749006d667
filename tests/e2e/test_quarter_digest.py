"""End to end over HTTP through the Telegram emulator: the weekly digest a parent reads carries each
subject's quarter mark so far, in the parent's Kazakh with the school's letters (ҚБ, БЖБ, ТЖБ) — and
in the summer, in no quarter of the calendar, no such line. The clock is pinned to a Sunday's 19:01
in Almaty, the digest's moment, outside quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Feedback, Homework, Submission
from models.store import session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from scheduler.app import derive_once
from tests.e2e.test_record import TELEGRAM_IDS, running_bot, world_on
from tests.support.chatting import Chatting
from tests.support.homework import World

pytestmark = pytest.mark.flow

ALMATY = ZoneInfo("Asia/Almaty")


def graded(world: World, title: str, kind: str, due: datetime, **grade: object) -> None:
    """Аружан's (p2's) algebra work, due at `due` and graded the next day."""
    with session_scope(world.engine) as session:
        work = Homework(
            group_id=world.groups["A1"],
            text=title,
            kind=kind,
            scored=True,
            max_points=grade.get("max_points"),  # type: ignore[arg-type]
            due_at=due,
        )
        session.add(work)
        session.flush()
        handed = Submission(
            homework_id=work.id or 0, pupil_id=world.ids["p2"], status="graded", channel="telegram"
        )
        session.add(handed)
        session.flush()
        session.add(Feedback(submission_id=handed.id or 0, created_at=due + timedelta(days=1), **grade))


async def digest_on(tmp_path: Path, db_url: str, world: World, sunday: datetime) -> str:
    """The digest g2 (Бота Бекова, kk) reads when it is made at `sunday` 19:00."""
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            parent = Chatting(telegram, TELEGRAM_IDS["g2"])
            settings = running.settings.model_copy(update={"digest_enabled": True})
            derive_once(running.engine, settings, clock=lambda: sunday.astimezone(UTC) + timedelta(minutes=1))
            running.wake_outbox()
            [digest] = await parent.answers(1)
        finally:
            await running.stop()
    assert digest.text is not None
    return digest.text


async def test_the_weekly_digest_carries_the_quarter_mark_so_far(tmp_path: Path, db_url: str) -> None:
    """The 2nd quarter of 2026–2027: ҚБ 8/10 (80 %) and БЖБ 15/20 (75 %), no ТЖБ yet: by the
    Digital Tutor's weights (25 / 25 / 50, a part with no work left out) 77.5 % → 4."""
    sunday = datetime(2026, 11, 22, 19, 0, tzinfo=ALMATY)
    with time_machine.travel(sunday + timedelta(minutes=1), tick=True):
        world = world_on(db_url, tmp_path)
        graded(world, "Тапсырма 7", "formative", sunday - timedelta(days=9), formative_score=8)
        graded(world, "БЖБ 2", "summative", sunday - timedelta(days=3), points=15, max_points=20, mark=4)
        text = await digest_on(tmp_path, db_url, world, sunday)
    assert "Жаңа бағалар:" in text  # the week's grade (БЖБ 2), then the quarter so far
    line = "Алгебра: тоқсандық баға — 4 (77,5 %); ҚБ 8/10 балл, БЖБ 75 %, ТЖБ — %"
    assert f"22.11 күнгі тоқсандық бағалар:\n{line}" in text


async def test_a_summer_digest_has_no_quarter_line(tmp_path: Path, db_url: str) -> None:
    sunday = datetime(2027, 7, 11, 19, 0, tzinfo=ALMATY)  # after the year's end: in no quarter
    with time_machine.travel(sunday + timedelta(minutes=1), tick=True):
        world = world_on(db_url, tmp_path)
        graded(world, "Жазғы тапсырма", "formative", sunday - timedelta(days=2), formative_score=9)
        text = await digest_on(tmp_path, db_url, world, sunday)
    assert "Жаңа бағалар:" in text and "Жазғы тапсырма" in text  # the week's grade is there
    assert "тоқсандық" not in text
