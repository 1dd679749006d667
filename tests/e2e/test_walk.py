"""Dead ends found by walking the people's journeys in the sandbox, each driven end to end through the
emulators: a parent asking by SMS for the family's data gets it in words (an SMS carries no file),
and a tutor who types back the deadline the question gives as its example has it accepted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bots.app import start
from locales import Lines, N, T, translate
from models import ChannelIdentity, Feedback, Submission, SubmissionPage
from models.clock import to_local, utcnow
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from sandbox.twilio_emulator import TwilioEmulator
from settings import Settings
from tests.e2e.test_whatsapp_flow import System, launch
from tests.support.chatting import Chatting, a_pupil_and_a_parent, button, emulator_settings, on_telegram
from tests.support.homework import PEOPLE, build_world

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

            # On WhatsApp the same word still brings the whole file.
            [file] = await system.say("ДАННЫЕ", number=PARENT)
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
