"""Dead ends found by walking the people's journeys in the sandbox, each driven end to end through the
emulators: a parent asking by SMS for the family's data gets it in words (an SMS carries no file);
a tutor who types back the deadline the question gives as its example has it accepted; a child in
no group yet is not offered with "subjects: —"; an illness told on a Thursday evening can be for
Monday's lesson; the assistant teacher sees who has not joined and reminds the parents who have not
decided on consent, who are told the word to send, not a slash command."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import Session, select

from bots.app import start
from locales import Lines, N, T, translate
from models import Attendance, ChannelIdentity, Feedback, Lesson, Person, Submission, SubmissionPage
from models.clock import to_local, utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from settings import Settings
from tests.e2e.test_threads_twilio import WHATSAPP_PARENT
from tests.e2e.test_threads_twilio import seed as seed_threads
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, a_pupil_and_a_parent, button, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, build_world
from tests.support.threads import ALMATY, STAFF, build_school

pytestmark = pytest.mark.flow

PARENT = "+77015550102"  # g1, p1's Russian-speaking parent, by SMS and on WhatsApp


async def test_a_parent_by_sms_reads_what_is_stored_in_words_and_no_file_is_left(
    tmp_path: Path, db_url: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_world(engine, tmp_path / "media")
    homework = world.homework()
    with session_scope(engine) as session:
        for channel in ("sms", "whatsapp"):
            session.add(ChannelIdentity(person_id=world.ids["g1"], channel=channel, address=PARENT))
        work = Submission(homework_id=homework, pupil_id=world.ids["p1"], channel="telegram")
        session.add(work)
        session.flush()
        assert work.id is not None
        for number in (1, 2):
            page = SubmissionPage(
                submission_id=work.id,
                number=number,
                path=f"p{number}",
                sha256="0" * 64,
                size=1,
                width=1,
                height=1,
            )
            session.add(page)
        session.add(Feedback(submission_id=work.id, tutor_id=world.ids["t1"], formative_score=8))
    engine.dispose()
    async with TwilioEmulator() as twilio:
        running, engine = await launch(tmp_path, db_url, twilio)
        system = System(twilio, running, engine, world.ids)
        try:
            parts = await system.sms("ДАННЫЕ", number=PARENT, expect=2)  # within three segments each
            counts = {
                f"c{n}": N(key, "count", count=count)
                for n, (key, count) in enumerate(
                    (
                        ("walk.mydata.works", 1),
                        ("walk.mydata.pages", 2),
                        ("walk.mydata.grades", 1),
                        ("walk.mydata.marks", 0),
                        ("walk.mydata.messages", 0),
                    )
                )
            }
            line = T("walk.mydata.pupil", pupil=PEOPLE["p1"][0], **counts)
            expected = T("walk.mydata.sms", pupils=Lines((line,))).render("ru", "sms")
            assert [part.text for part in parts] == expected.split("\n\n")  # split between paragraphs
            counted = "1 сданная работа, 2 страницы на фото, 1 оценка с комментарием"
            assert f"{PEOPLE['p1'][0]}: {counted}" in parts[0].text
            assert "ДАННЫЕ в WhatsApp" in parts[1].text and "напишите УДАЛИТЬ" in parts[1].text
            assert all(not part.media and part.num_segments <= 3 for part in parts)
            # Nothing was written for a file that could never be sent.
            assert not list((tmp_path / "media").glob("exports/*"))

            # On WhatsApp the same word reads it in words, then brings the whole file.
            words, file = await system.say("ДАННЫЕ", number=PARENT, expect=2)
            assert words.startswith(translate("ru", "mydata.words", pupils="").split("\n")[0])
            assert file == translate("ru", "privacy.export_ready", count=1)
            assert twilio.messages_to(PARENT, "whatsapp")[-1].media
        finally:
            await running.stop()
            engine.dispose()


TUTOR = 701  # t1 on Telegram


async def test_a_tutor_who_types_the_deadlines_example_back_has_it_accepted(
    tmp_path: Path, db_url: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    build_world(engine, tmp_path / "media", {"t1": TUTOR})
    engine.dispose()
    zone = Settings().zone
    ahead = to_local(utcnow(), zone).date() + timedelta(days=7)
    async with TelegramEmulator() as telegram:
        telegram.add_user(TUTOR, PEOPLE["t1"][0])
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            tutor = Chatting(telegram, TUTOR)
            [ask_group] = await tutor.text("/homework")
            await tutor.press(ask_group, "hw:group:")
            [ask_due] = await tutor.text("§12, 3–5")
            assert ask_due.text == on_telegram(
                "kk", "homework.ask_due", day=ahead.strftime("%d.%m"), iso=ahead.isoformat()
            )
            assert "25.11" not in (ask_due.text or "")
            [not_understood] = await tutor.text("келесі аптада")
            assert f"{ahead:%d.%m} 18:00" in (not_understood.text or "")
            [grading] = await tutor.text(f"{ahead:%d.%m} 18:00")  # the example, typed back
            [summary] = await tutor.press(grading, "hw:kind:formative")
            assert f"{ahead:%d.%m.%Y} 18:00" in (summary.text or "")
        finally:
            await running.stop()


async def test_a_parent_of_a_child_in_no_group_yet_is_not_shown_subjects_dash(
    tmp_path: Path, db_url: str
) -> None:
    a_pupil_and_a_parent(db_url)  # Ерлан, in no tutoring group; his Russian-speaking parent on chat 601
    async with TelegramEmulator() as telegram:
        telegram.add_user(601, "Гүлнар")
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            parent = Chatting(telegram, 601)
            [question] = await parent.text("/consent")
        finally:
            await running.stop()
    text = question.text or ""
    assert "приглашают на дополнительные онлайн-занятия" in text
    assert f"({translate('ru', 'walk.consent.no_subjects')})" in text and "—" not in text
    assert button(question, "consent:yes:")


THURSDAY_EVENING = datetime(2026, 3, 19, 19, 0, tzinfo=ALMATY)  # A1 met on Monday and Wednesday
NEXT_MONDAY = date(2026, 3, 23)


async def tap(twilio: TwilioEmulator, number: str, option: str) -> list[str]:
    """Tap the option of the newest WhatsApp message with choices; the texts of the replies."""
    shown = [m for m in twilio.messages_to(number) if m.interactive][-1]
    before = len(twilio.messages_to(number))
    result = await twilio.tap(shown.sid, option)
    assert result.http_status == 200, result.error
    await twilio.wait_for_messages(number, before + 1, timeout=15)
    return [m.text for m in twilio.messages_to(number)[before:]]


async def test_on_a_thursday_evening_a_parent_reports_illness_for_mondays_lesson(
    tmp_path: Path, db_url: str
) -> None:
    with time_machine.travel(THURSDAY_EVENING, tick=True):
        seed_threads(db_url, tmp_path)  # g1 (Russian) on WhatsApp at WHATSAPP_PARENT
        async with TwilioEmulator() as twilio:
            running, engine = await launch(tmp_path, db_url, twilio)
            try:
                [ask_kind] = await System(twilio, running, engine, {}).say("ПРОБЛЕМА", number=WHATSAPP_PARENT)
                assert ask_kind == translate("ru", "problems.ask_kind")
                with Session(engine) as session:
                    pupil = session.exec(select(Person.id).where(Person.external_id == "p1")).one()
                    monday = session.exec(select(Lesson.id).where(Lesson.weekday == 0)).first()
                [ask_lesson] = await tap(twilio, WHATSAPP_PARENT, f"prb:kind:{pupil}:ill")
                shown = twilio.messages_to(WHATSAPP_PARENT)[-1].interactive
                assert ask_lesson == translate("ru", "problems.ask_lesson") and shown is not None
                ids = [option["id"] for option in shown["options"]]
                assert f"prb:lesson:{pupil}:ill:{monday}:{NEXT_MONDAY.isoformat()}" in ids  # four days ahead
                [recorded] = await tap(
                    twilio, WHATSAPP_PARENT, f"prb:lesson:{pupil}:ill:{monday}:{NEXT_MONDAY}"
                )
                assert recorded.startswith("✅")
                with Session(engine) as session:
                    row = session.exec(select(Attendance).where(Attendance.pupil_id == pupil)).one()
                assert (row.on_date, row.reason, row.excused) == (NEXT_MONDAY, "ill", None)
            finally:
                await running.stop()
                engine.dispose()


ASSISTANT = 961
UNDECIDED_PARENT = "+77015550103"  # g3, p3's parent, by SMS only; p3 has no consent


async def test_the_assistant_reminds_an_undecided_parent_who_reads_the_word_to_send_by_sms(
    tmp_path: Path, db_url: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_school(engine, tmp_path / "media", {"a1": ASSISTANT})
    with session_scope(engine) as session:
        for identity in session.exec(
            select(ChannelIdentity).where(ChannelIdentity.person_id == world.ids["g3"])
        ):
            session.delete(identity)
        session.add(ChannelIdentity(person_id=world.ids["g3"], channel="sms", address=UNDECIDED_PARENT))
    engine.dispose()
    async with TelegramEmulator() as telegram, TwilioEmulator() as twilio:
        telegram.add_user(ASSISTANT, STAFF["a1"][0])
        running, engine = await launch(
            tmp_path,
            db_url,
            twilio,
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.base_url,
        )
        try:
            assistant = Chatting(telegram, ASSISTANT)
            telegram.inject_text(ASSISTANT, "/status")
            group, not_joined, *_ = await assistant.answers(2)
            assert not_joined.text and "Ерлан Касымов" in not_joined.text  # nobody has written yet
            [done] = await assistant.press(group, "st:consent:")
            assert done.text == on_telegram("ru", "status.nudged", sent=1, already=0)
            [reminder] = await twilio.wait_for_messages(UNDECIDED_PARENT, 1, channel="sms", timeout=15)
            assert "Ерлан Касымов" in reminder.text and "КЕЛІСІМ деп жазыңыз" in reminder.text
            assert "/consent" not in reminder.text
        finally:
            await running.stop()
            engine.dispose()
