"""End to end over HTTP through the Telegram emulator: a double tap on «Иә, келісемін» stores one
consent and thanks once, and the answered keyboard is closed (editMessageReplyMarkup); a tutor leaves
a form with a cancel word; a class teacher reissues a code with /invite; a tutor's post reaches a
pupil through the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import start
from locales import translate
from models import Consent
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.attendance import build_staff_world, chat_from
from tests.support.chatting import Chatting, button, emulator_settings

pytestmark = pytest.mark.flow
USERS = {"t1": 1901, "c1": 1903, "p1": 1911, "g3": 1923}


async def test_double_tap_cancel_invite_and_share_over_http(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, tmp_path / "media")
    chat_from(staff, USERS)
    engine.dispose()
    p3 = staff.ids["p3"]

    async with TelegramEmulator() as telegram:
        for name, user_id in USERS.items():
            telegram.add_user(user_id, name)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            tutor, teacher, pupil, parent = (Chatting(telegram, USERS[n]) for n in ("t1", "c1", "p1", "g3"))

            # The parent is asked (/consent) and taps «Иә» twice before the keyboard closes. Beside
            # the thanks and the "already answered" reply, the outbox brings the catch-up on the
            # pupil's record, at a moment of its own: the three are told apart by their text.
            [question] = await parent.text("/consent")
            yes = button(question, "consent:yes:")
            telegram.press_button(USERS["g3"], question.message_id, yes)
            telegram.press_button(USERS["g3"], question.message_id, yes)
            replies = [message.text for message in await parent.answers(3)]
            closed = telegram.find_message(USERS["g3"], question.message_id)

            # A tutor halfway through setting homework leaves with a cancel word.
            [ask_group] = await tutor.text("/homework")
            await tutor.press(ask_group, "hw:group:")
            [left] = await tutor.text("болдырмау")

            # The class teacher gives p3 a new code.
            [listed] = await teacher.text("/invite")
            [issued] = await teacher.press(listed, f"inv:p:{staff.classes['8A']}:{p3}")

            # The tutor posts a recording's link to the group's pupils.
            await tutor.text("/share")
            [audience] = await tutor.text("Жазба: https://example.org/rec/7")
            await tutor.press(audience, "gp:aud:pupils", 2)
            preview = telegram.sent(USERS["t1"])[-1]
            [sent] = await tutor.press(preview, "gp:send")
            [post] = await pupil.answers(1)
        finally:
            await running.stop()

    thanks = translate("kk", "consent.thanks_yes", pupil="Ерлан Касымов")
    answered = translate("kk", "buttons.answered")
    assert replies.count(thanks) == 1 and replies.count(answered) == 1
    [catch_up] = [text for text in replies if text not in (thanks, answered)]
    assert catch_up is not None and catch_up.startswith("Ерлан Касымов")
    assert closed is not None and closed.inline_keyboard == [] and closed.edited
    assert left.text == translate("kk", "leaving.left", form=translate("kk", "leaving.form.homework"))
    assert (
        issued.text is not None
        and "Ерлан Касымов" in issued.text
        and "t.me/ustaz_test_bot?start=" in issued.text
    )
    assert sent.text is not None and post.text is not None and "https://example.org/rec/7" in post.text
    check = make_engine(db_url)
    with Session(check) as session:
        assert len(session.exec(select(Consent).where(Consent.pupil_id == p3)).all()) == 1
    check.dispose()
