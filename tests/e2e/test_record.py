"""End to end over HTTP through the Telegram emulator, for families: a pupil's and a parent's own
record, page by page; homework set before a pupil joined that reaches them when they join; the
weekly digest and the parent's choice of it; a cancelled lesson told to the parents; a dark photo
flagged before it is handed in."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bots.app import Running, start
from models import Guardianship, Lesson, LessonChange, Notification
from models.clock import to_local, utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from scheduler.app import derive_once
from scheduler.digest import DigestOptions, latest_moment
from tests.handlers.test_catch_up import newcomer as joins_later
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, World, build_world, page_image

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 1700 + number for number, name in enumerate(PEOPLE, start=1)}
NEWCOMER = 1799


def world_on(db_url: str, tmp_path: Path) -> World:
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_world(engine, tmp_path / "media", TELEGRAM_IDS)
    with session_scope(engine) as session:  # g1 has a second child, in F1
        session.add(Guardianship(guardian_id=world.ids["g1"], pupil_id=world.ids["p4"]))
    return world


def lessons_from_tomorrow(world: World) -> datetime:
    """A1 meets tomorrow at 18:00 and the day after at 17:00; tomorrow's 18:00, aware."""
    zone = world.config.time_zone
    tomorrow = to_local(utcnow(), zone).date() + timedelta(days=1)
    with session_scope(world.engine) as session:
        for day, start in ((tomorrow, time(18)), (tomorrow + timedelta(days=1), time(17))):
            session.add(
                Lesson(
                    group_id=world.groups["A1"],
                    weekday=day.weekday(),
                    start_time=start,
                    link="https://meet/a1",
                )
            )
    return datetime.combine(tomorrow, time(18), zone)


async def running_bot(telegram: TelegramEmulator, tmp_path: Path, db_url: str) -> Running:
    for name, user_id in TELEGRAM_IDS.items():
        telegram.add_user(user_id, PEOPLE[name][0])
    telegram.add_user(NEWCOMER, "Дәулет")
    return await start(emulator_settings(telegram, tmp_path, db_url))


async def test_a_pupil_and_a_parent_read_their_own_record_page_by_page(tmp_path: Path, db_url: str) -> None:
    world = world_on(db_url, tmp_path)
    lessons_from_tomorrow(world)
    for n in range(7):
        world.homework(text=f"Есеп {n + 1}", due=utcnow() + timedelta(days=n + 3))  # no reminder yet
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            pupil, parent = Chatting(telegram, TELEGRAM_IDS["p1"]), Chatting(telegram, TELEGRAM_IDS["g1"])
            [first] = await pupil.text("/homework")
            assert first.text is not None and first.text.startswith("Үй тапсырмалары — Нұрлан Сейітов (1/2)")
            assert first.text.count("○ Алгебра · Есеп") == 5
            [second] = await pupil.press(first, "rec:more:hw:")
            assert second.text is not None and "Есеп 6" in second.text and "Есеп 7" in second.text
            assert choices(second) == []
            [timetable] = await pupil.text("/timetable")
            assert (
                timetable.text is not None and "18:00 · Алгебра\nСілтеме: https://meet/a1" in timetable.text
            )

            [which] = await parent.text("/grades")
            assert which.text == on_telegram("ru", "record.which_child")
            [none_yet] = await parent.press(which, f"rec:child:gr:{world.ids['p1']}")
            assert none_yet.text == on_telegram("ru", "record.gr.empty", pupil="Нұрлан Сейітов")
            [menu] = await parent.text("меню")
            [again] = await parent.press(menu, "rec:view:tt")
            [other_child] = await parent.press(again, f"rec:child:tt:{world.ids['p4']}")
            assert other_child.text == on_telegram("ru", "record.tt.empty", pupil="Мадина Нурова")
        finally:
            await running.stop()


async def test_homework_set_before_a_pupil_joined_reaches_them_when_they_join(
    tmp_path: Path, db_url: str
) -> None:
    world = world_on(db_url, tmp_path)
    code = joins_later(world)  # Дәулет, of A1, with consent, not in a chat yet
    newcomer_id = world.ids["p7"]
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            tutor, newcomer = Chatting(telegram, TELEGRAM_IDS["t1"]), Chatting(telegram, NEWCOMER)
            [ask_group] = await tutor.text("/homework")
            await tutor.press(ask_group, "hw:group:")
            await tutor.text("§9, 1–3 есептер")
            [grading] = await tutor.text("бүрсігүні 18:00")  # no reminder during the test
            [summary] = await tutor.press(grading, "hw:kind:formative")
            [created] = await tutor.press(summary, "hw:confirm:yes")
            # Two pupils have it now, one when he joins, one has no consent: the tutor is told so.
            assert created.text == on_telegram(
                "kk",
                "homework.created_partly",
                group="A1",
                reached=2,
                total=4,
                rest="\n".join(
                    on_telegram("kk", key, count=1)
                    for key in ("homework.created_waiting", "homework.created_no_consent")
                ),
            )
            engine = make_engine(db_url)
            await _until_status(engine, newcomer_id, "no_channel")  # the dispatcher found no chat

            _welcome, language = await newcomer.text(f"/start {code}", 2)
            language_set, caught_up, notice = await newcomer.press(language, "lang:ru", 3)
            assert language_set.text == on_telegram("ru", "language.set")
            assert caught_up.text is not None and caught_up.text.startswith("Что сейчас важно")
            assert "§9, 1–3 есептер" in caught_up.text and "Ближайшие занятия" in caught_up.text
            assert notice.text is not None and notice.text.startswith("Новое домашнее задание")
            await _until_status(engine, newcomer_id, "sent")
            engine.dispose()
        finally:
            await running.stop()


async def _until_status(engine: Engine, person_id: int, status: str) -> None:
    for _ in range(200):
        with Session(engine) as session:
            row = session.exec(
                select(Notification).where(
                    Notification.person_id == person_id, Notification.kind == "homework.new"
                )
            ).first()
        if row is not None and row.status == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the homework notice never became {status}")


async def test_the_weekly_digest_reaches_the_parent_and_the_parent_may_take_it_instead(
    tmp_path: Path, db_url: str
) -> None:
    world = world_on(db_url, tmp_path)
    settings_zone = world.config.time_zone
    moment = latest_moment(utcnow(), DigestOptions(settings_zone))
    due = moment + timedelta(days=2)  # next week's deadline, seen from the digest's moment
    if abs(due - utcnow()) < timedelta(hours=1):
        due += timedelta(days=1)  # not at its deadline now: no missed-work notice meanwhile
    world.homework(text="Апта есебі", due=due)
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            parent = Chatting(telegram, TELEGRAM_IDS["g2"])  # Бота Бекова, kk; Аружан (p2) in A1
            # The parent takes the digest only: grades and missed work will wait for it.
            [so_far] = await parent.text("/digest")  # the week so far, the settings under it
            [menu] = await parent.press(so_far, "news:ask")
            assert choices(menu) == ["news:both", "news:digest", "news:events"]
            [chosen] = await parent.press(menu, "news:digest")
            assert chosen.text is not None and chosen.text.startswith("Жарайды: жаңа бағалар")
            digest_on = running.settings.model_copy(update={"digest_enabled": True})
            derive_once(running.engine, digest_on, clock=lambda: moment + timedelta(minutes=1))
            running.wake_outbox()
            [digest] = await parent.answers(1)
            first = (moment - timedelta(days=6)).astimezone(settings_zone).strftime("%d.%m")
            assert digest.text is not None and digest.text.startswith(f"Апталық шолу · {first}–")
            assert "Аружан Бекова" in digest.text and "○ Алгебра · Апта есебі — мерзімі" in digest.text
        finally:
            await running.stop()


async def test_a_cancelled_lesson_is_told_to_the_parents_at_once(tmp_path: Path, db_url: str) -> None:
    world = world_on(db_url, tmp_path)
    start_at = lessons_from_tomorrow(world)
    with session_scope(world.engine) as session:
        lesson = session.exec(select(Lesson).order_by(col(Lesson.id))).first()
        assert lesson is not None and lesson.id is not None
        session.add(LessonChange(lesson_id=lesson.id, on_date=start_at.date(), cancelled=True))
    world.engine.dispose()
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            parent, pupil = Chatting(telegram, TELEGRAM_IDS["g1"]), Chatting(telegram, TELEGRAM_IDS["p1"])
            derive_once(running.engine, running.settings)
            running.wake_outbox()
            [told] = await parent.answers(1)
            expected = on_telegram(
                "ru",
                "notify.lesson.cancelled",
                subject=on_telegram("ru", "subject.algebra"),
                date=start_at.strftime("%d.%m"),
                time="18:00",
            )
            assert told.text == f"Ученик: Нұрлан Сейітов\n{expected}"
            [pupil_told] = await pupil.answers(1)
            assert pupil_told.text is not None and "болмайды" in pupil_told.text
            [timetable] = await pupil.text("/timetable")
            assert timetable.text is not None and "18:00 · Алгебра — сабақ болмайды ✗" in timetable.text
        finally:
            await running.stop()


async def test_a_dark_photo_is_flagged_and_sent_anyway_on_request(tmp_path: Path, db_url: str) -> None:
    world = world_on(db_url, tmp_path)
    world.homework(text="Есеп 1–5")
    world.engine.dispose()
    out = io.BytesIO()
    ImageEnhance.Brightness(Image.open(io.BytesIO(page_image()))).enhance(0.15).save(out, "JPEG")
    async with TelegramEmulator() as telegram:
        running = await running_bot(telegram, tmp_path, db_url)
        try:
            pupil = Chatting(telegram, TELEGRAM_IDS["p1"])
            telegram.inject_photo(TELEGRAM_IDS["p1"], out.getvalue())
            [question] = await pupil.answers(1)
            assert question.text == "Фото қараңғы шықты — терезенің жанында қайта түсіріп көресіз бе?"
            assert choices(question) == ["hw:check:retake", "hw:check:send"]
            [receipt] = await pupil.press(question, "hw:check:send")
            assert receipt.text is not None and receipt.text.startswith("Қабылданды ✓ Есеп 1–5")
        finally:
            await running.stop()
