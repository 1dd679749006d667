"""End to end over HTTP through the Telegram emulator: a parent writes in her own words, chooses the
tutor, the tutor answers with Telegram's "Reply" to the message the outbox delivered, the parent gets
the answer and replies the same way; a sticker is answered in words and a voice note reaches the
class teacher; the parent reports an illness for today's lesson, the tutor excuses it from
/absences and the parent hears so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bots.app import start
from models import ChannelIdentity, DeliveryAttempt, ThreadNotice
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, WEDNESDAY, all_on_telegram, build_school

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 900 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
PARENT, TUTOR, CLASS_TEACHER = (TELEGRAM_IDS[n] for n in ("g1", "t1", "ct1"))


@pytest.mark.usefixtures("wednesday")
async def test_a_parent_and_the_tutor_talk_by_telegram_replies(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    build_school(engine, tmp_path / "media", TELEGRAM_IDS)
    engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            parent, tutor, teacher = (Chatting(telegram, uid) for uid in (PARENT, TUTOR, CLASS_TEACHER))

            # The parent (Russian) writes; the bot asks whom, she picks the tutor.
            [whom] = await parent.text("Здравствуйте! Как у Нурлана успехи?")
            assert whom.text == on_telegram("ru", "threads.ask_whom")
            assert len(choices(whom)) == 3
            [sent] = await parent.press(whom, "thr:to:")
            assert sent.text is not None and sent.text.startswith(
                "✅ Сообщение отправлено цифровому наставнику"
            )

            # The outbox brings it to the tutor, naming the family and the thread.
            [question] = await tutor.answers(1)
            assert question.text is not None and "Как у Нурлана успехи?" in question.text
            assert "Айгүл Сейітова" in question.text and "+7" not in question.text

            # The tutor answers with Telegram's Reply; the parent receives the answer.
            telegram.inject_text(TUTOR, "Жақсы, бүгін екі есеп шығарды.", reply_to=question.message_id)
            [answered] = await tutor.answers(1)
            assert answered.text is not None and answered.text.startswith("✅ Жауабыңыз жіберілді")
            [answer] = await parent.answers(1)
            assert answer.text is not None and "Жақсы, бүгін екі есеп шығарды." in answer.text
            assert "Тимур Ахметов" in answer.text and str(TUTOR) not in answer.text

            # The parent replies to the answer the same way; it reaches the tutor.
            telegram.inject_text(PARENT, "Спасибо большое!", reply_to=answer.message_id)
            [again] = await parent.answers(1)
            assert again.text is not None and again.text.startswith("✅")
            [thanks] = await tutor.answers(1)
            assert thanks.text is not None and "Спасибо большое!" in thanks.text

            # A sticker is answered in words; a voice note goes to the class teacher as a file.
            telegram.inject_sticker(PARENT, "👍")
            [sticker] = await parent.answers(1)
            assert sticker.text == on_telegram("ru", "threads.unsupported")
            telegram.inject_voice(PARENT, b"OggS\x00\x02voice-bytes", duration=3)
            [whom_voice] = await parent.answers(1)
            await parent.press(whom_voice, next(v for v in choices(whom_voice) if ":c:" in v))
            [voice] = await teacher.answers(1)
            assert voice.message.get("document") and "🎤" in (voice.caption or "")

            # An illness for today's lesson: recorded, the tutor told, excused from /absences.
            [ask_kind] = await parent.text("/problem")
            [ask_lesson] = await parent.press(
                ask_kind, next(v for v in choices(ask_kind) if v.endswith(":ill"))
            )
            today = [v for v in choices(ask_lesson) if v.endswith(WEDNESDAY.date().isoformat())]
            telegram.press_button(PARENT, ask_lesson.message_id, today[0])
            [recorded] = await parent.answers(1)
            assert recorded.text is not None and recorded.text.startswith("✅ Записано")
            [reported] = await tutor.answers(1)
            assert reported.text is not None and "/absences" in reported.text
            [pending] = await tutor.text("/absences")
            [decided] = await tutor.press(pending, "abs:yes:")
            assert decided.text is not None and "себепті" in decided.text
            [told] = await parent.answers(1)
            assert told.text is not None and "уважительная" in told.text
        finally:
            await running.stop()

    # The outbox kept the Telegram message id of the delivered question on its attempt, tied to the
    # thread: the reply found its way by it (or, while that is being written, by the quoted "#1").
    engine = make_engine(db_url)
    with Session(engine) as session:
        found = session.exec(
            select(ThreadNotice.thread_id)
            .join(DeliveryAttempt, col(DeliveryAttempt.notification_id) == col(ThreadNotice.notification_id))
            .join(ChannelIdentity, col(ChannelIdentity.id) == col(DeliveryAttempt.identity_id))
            .where(ChannelIdentity.address == str(TUTOR), DeliveryAttempt.outcome == "delivered")
            .where(DeliveryAttempt.provider_id == str(question.message_id))
        ).all()
    engine.dispose()
    assert len(found) == 1
