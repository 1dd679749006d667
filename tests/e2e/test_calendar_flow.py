"""End to end over HTTP through the Telegram emulator, the real process on a set clock: a family and a
tutor are told once that a holiday cancels a lesson; a substitute gets the lesson's reminder, the
pupils' reminder names them, they mark an absence and the parent hears of it, while the group's own
tutor is told who marks these days."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete
from sqlmodel import select

from bots.app import Additions, Running, start
from models import CalendarEntry, Lesson, Substitution
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from scheduler.app import derive_once
from settings import Settings
from tests.support.chatting import Chatting, button, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, World, build_world

pytestmark = pytest.mark.flow

ALMATY = ZoneInfo("Asia/Almaty")
TELEGRAM_IDS = {name: 900 + number for number, name in enumerate(PEOPLE, start=1)}


class Clock:
    """The process's clock, set by the test and running from there (the outbox paces sends a second
    apart by it)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    @property
    def at(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._set)

    @at.setter
    def at(self, moment: datetime) -> None:
        self._at, self._set = moment, time.monotonic()

    def __call__(self) -> datetime:
        return self.at


def world_with_a_wednesday_lesson(db_url: str, tmp_path: Path) -> World:
    """The homework world on the national calendar (its test weeks of working days removed), group
    A1 meeting on Wednesdays at 15:00."""
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_world(engine, tmp_path / "media", TELEGRAM_IDS)
    with session_scope(engine) as session:
        session.execute(delete(CalendarEntry))
        session.add(
            Lesson(
                group_id=world.groups["A1"],
                weekday=2,
                start_time=clock_time(15, 0),
                link="https://meet.example/a1",
            )
        )
    return world


async def start_on(
    telegram: TelegramEmulator, clock: Clock, tmp_path: Path, db_url: str
) -> tuple[Settings, Running]:
    """The world's people in the emulator, and the process on `clock`."""
    for name, user_id in TELEGRAM_IDS.items():
        telegram.add_user(user_id, PEOPLE[name][0])
    settings = emulator_settings(telegram, tmp_path, db_url)
    return settings, await start(settings, additions=Additions(clock=clock))


async def test_a_family_and_the_tutor_are_told_once_that_a_holiday_cancels_the_lesson(
    tmp_path: Path, db_url: str
) -> None:
    world = world_with_a_wednesday_lesson(db_url, tmp_path)
    independence_day = date(2026, 12, 16)
    clock = Clock(datetime(2026, 12, 13, 15, 10, tzinfo=ALMATY))  # three days before the lesson
    async with TelegramEmulator() as telegram:
        settings, running = await start_on(telegram, clock, tmp_path, db_url)
        try:
            parent, tutor, pupil = (Chatting(telegram, TELEGRAM_IDS[n]) for n in ("g1", "t1", "p1"))
            [told] = await parent.answers(1)
            [told_tutor] = await tutor.answers(1)
            [told_pupil] = await pupil.answers(1)
            # Deriving again (the scheduler runs every minute, the process restarts) tells nobody twice,
            # and on the day itself there is no reminder either.
            written = len(world.outbox())
            for minutes in (1, 90, 24 * 60):
                clock.at += timedelta(minutes=minutes)
                derive_once(world.engine, settings, clock=clock)
            clock.at = datetime.combine(independence_day, clock_time(14, 30), ALMATY)
            derive_once(world.engine, settings, clock=clock)
            assert len(world.outbox()) == written
        finally:
            await running.stop()
    assert told.text == (
        "Внимание: занятия «Алгебра» 16.12 не состоятся — День Независимости.\n"
        "Напоминаний в эти дни не будет."
    )
    assert told_tutor.text == on_telegram(
        "kk", "calendar.lessons_off_staff", group="A1", subject=on_telegram("kk", "subject.algebra"),
        dates="16.12", name=on_telegram("kk", "calendar.name.independence_day"),
    )  # fmt: skip
    assert told_pupil.text is not None and "Тәуелсіздік күні" in told_pupil.text
    assert {n.person_id for n in world.outbox()} == {
        world.ids[n] for n in ("p1", "p2", "g1", "g2", "t1")
    }  # no consent, no word to p3 or g3


async def test_a_substitute_gets_the_reminder_and_marks_attendance(tmp_path: Path, db_url: str) -> None:
    world = world_with_a_wednesday_lesson(db_url, tmp_path)
    wednesday = date(2026, 12, 9)
    with session_scope(world.engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=date(2026, 12, 7),
                ends=date(2026, 12, 11),
            )
        )
    clock = Clock(datetime.combine(wednesday, clock_time(14, 0), ALMATY))  # an hour before the lesson
    async with TelegramEmulator() as telegram:
        settings, running = await start_on(telegram, clock, tmp_path, db_url)
        try:
            substitute, tutor, pupil, parent = (
                Chatting(telegram, TELEGRAM_IDS[n]) for n in ("t2", "t1", "p1", "g1")
            )
            [reminder] = await substitute.answers(1)
            [pupil_reminder] = await pupil.answers(1)

            clock.at = datetime.combine(wednesday, clock_time(16, 5), ALMATY)  # the lesson has ended
            derive_once(world.engine, settings, clock=clock)
            running.wake_outbox()
            [prompt] = await substitute.answers(1)
            sheet = await substitute.text("/attendance", 4)
            p1_row = next(m for m in sheet if m.text and "Нұрлан Сейітов" in m.text)
            absent = button(p1_row, "att:m:").rsplit(":", 1)[0] + ":a"
            [marked] = await substitute.press(p1_row, absent)

            # The group's own tutor can open the sheet but not mark on the substitute's day.
            own_sheet = await tutor.text("/attendance", 4)
            own_row = next(m for m in own_sheet if m.text and "Аружан Бекова" in m.text)
            [refused] = await tutor.press(own_row, "att:m:")

            # Absence notices go in the evening.
            clock.at = datetime.combine(wednesday, clock_time(19, 5), ALMATY)
            running.wake_outbox()
            [absence] = await parent.answers(1)
        finally:
            await running.stop()
    assert reminder.text is not None
    assert reminder.text.startswith("Еске салу: A1 тобының Алгебра сабағы жақында басталады.")
    assert (
        pupil_reminder.text is not None
        and "Сабақты алмастырушы ұстаз Дана Омарова жүргізеді." in pupil_reminder.text
    )
    assert prompt.text is not None and "A1" in prompt.text
    assert marked.text is not None and marked.text.startswith("Нұрлан Сейітов")
    assert refused.text == on_telegram(
        "kk", "substitute.read_only", group="A1", person="Дана Омарова", first="07.12", last="11.12"
    )
    assert absence.text is not None and "Нұрлан Сейітов" in absence.text
    assert (
        telegram.sent(TELEGRAM_IDS["t1"])[0].text == own_sheet[0].text
    )  # the tutor got no reminder or prompt
    with session_scope(world.engine) as session:
        assert session.exec(select(Substitution)).one().ended_at is None
