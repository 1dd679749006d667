"""End to end over HTTP through the Telegram emulator, while a substitute tutor (Дана Омарова) has
group A1: the parent's question to "the tutor" is offered as the substitute's and reaches her; she
answers with Telegram's "Reply" and the parent reads who answered; an illness the parent reports for
today's lesson opens its conversation with her, who answers and excuses it — the group's own tutor
reads a notice of it and sees it in /absences without buttons, told that she decides it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bots.app import start
from models import Substitution
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram
from tests.support.homework import PEOPLE
from tests.support.threads import STAFF, WEDNESDAY, all_on_telegram, build_school

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 900 + number for number, name in enumerate([*PEOPLE, *STAFF], start=1)}
PARENT, TUTOR, SUBSTITUTE = (TELEGRAM_IDS[n] for n in ("g1", "t1", "t2"))


@pytest.mark.usefixtures("wednesday")
async def test_the_parent_talks_to_the_substitute_who_decides_the_absence(
    tmp_path: Path, db_url: str
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    world = build_school(engine, tmp_path / "media", TELEGRAM_IDS)
    with session_scope(engine) as session:
        session.add(
            Substitution(
                group_id=world.groups["A1"],
                substitute_id=world.ids["t2"],
                starts=WEDNESDAY.date() - timedelta(days=1),
                ends=WEDNESDAY.date() + timedelta(days=2),
            )
        )
    engine.dispose()
    async with TelegramEmulator() as telegram:
        all_on_telegram(telegram, TELEGRAM_IDS)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            parent, tutor, substitute = (Chatting(telegram, uid) for uid in (PARENT, TUTOR, SUBSTITUTE))

            # The parent (Russian) writes; the first choice is the substitute's.
            [whom] = await parent.text("Здравствуйте! Как у Нурлана успехи?")
            assert whom.text == on_telegram("ru", "threads.ask_whom")
            labels = [str(key.get("text", "")) for row in whom.inline_keyboard for key in row]
            assert labels[0] == "Алгебра: замещающий наставник" and len(choices(whom)) == 3
            [sent] = await parent.press(whom, "thr:to:")
            assert sent.text is not None and sent.text.startswith(
                "✅ Сообщение отправлено замещающему наставнику"
            )

            # The substitute gets it and answers with Reply; the parent reads who answered.
            [question] = await substitute.answers(1)
            assert question.text is not None and "Как у Нурлана успехи?" in question.text
            telegram.inject_text(SUBSTITUTE, "Жақсы, бүгін екі есеп шығарды.", reply_to=question.message_id)
            [answered] = await substitute.answers(1)
            assert answered.text is not None and answered.text.startswith("✅")
            [answer] = await parent.answers(1)
            assert answer.text is not None and "Жақсы, бүгін екі есеп шығарды." in answer.text
            assert "Дана Омарова, замещающий наставник (Алгебра)" in answer.text

            # An illness for today's lesson: the substitute hears of it in the family's conversation,
            # the own tutor by a notice that says she decides it and answers.
            [ask_kind] = await parent.text("/problem")
            [ask_lesson] = await parent.press(
                ask_kind, next(v for v in choices(ask_kind) if v.endswith(":ill"))
            )
            today = [v for v in choices(ask_lesson) if v.endswith(WEDNESDAY.date().isoformat())]
            telegram.press_button(PARENT, ask_lesson.message_id, today[0])
            [recorded] = await parent.answers(1)
            assert recorded.text is not None and recorded.text.startswith("✅ Записано")
            [notice] = await tutor.answers(1)
            assert notice.text is not None and "#" not in notice.text and not choices(notice)
            assert "Себепті ме, жоқ па — алмастырушы ұстаз Дана Омарова шешеді" in notice.text
            [problem] = await substitute.answers(1)
            assert (
                problem.text is not None and "Алмастырушы ұстаз ретінде жүргізетін сабағыңыз" in problem.text
            )

            # She answers it with Reply; the parent reads it.
            telegram.inject_text(SUBSTITUTE, "Жазылып кетсін!", reply_to=problem.message_id)
            [answered] = await substitute.answers(1)
            assert answered.text is not None and answered.text.startswith("✅")
            [get_well] = await parent.answers(1)
            assert get_well.text is not None and "Жазылып кетсін!" in get_well.text

            # The own tutor's /absences shows it without buttons, saying who decides it.
            [pending] = await tutor.text("/absences")
            assert pending.text is not None and not choices(pending)
            assert pending.text.endswith(
                "Бұл сабақты алмастырушы ұстаз Дана Омарова жүргізеді: себепті ме, жоқ па — сол шешеді."
            )
            # The substitute does, and the parent hears so.
            [theirs] = await substitute.text("/absences")
            [decided] = await substitute.press(theirs, "abs:yes:")
            assert decided.text is not None and "себепті" in decided.text
            [told] = await parent.answers(1)
            assert told.text is not None and "уважительная" in told.text
        finally:
            await running.stop()
