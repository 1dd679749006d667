"""End to end over HTTP through the Telegram emulator: a parent of group A1 lost the invitation
sheet; the group's assistant teacher sends /invite, taps the parent, and forwards the new code; the
lost code no longer joins anyone, the new one does, and the list no longer shows the parent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import start
from locales import translate
from models import AuditLog
from models.invites import issue_invite
from models.migrate import upgrade
from models.store import make_engine, session_scope
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.attendance import build_staff_world, chat_from
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram

pytestmark = pytest.mark.flow
USERS = {"a1": 1902}
NOT_JOINED = "Pupils and parents of group A1 not joined yet: {}"
FOUND_THE_SHEET, PARENT_PHONE = 1960, 1961  # whoever picked up the lost sheet; the parent's new phone


async def test_an_assistant_reissues_a_lost_code_to_a_parent_of_their_group(
    tmp_path: Path,
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, tmp_path / "media")
    chat_from(staff, USERS)
    g3, group = staff.ids["g3"], staff.groups["A1"]
    with session_scope(engine) as session:
        lost = issue_invite(session, g3, timedelta(days=14)).code
    engine.dispose()

    async with TelegramEmulator() as telegram:
        for user_id in (*USERS.values(), FOUND_THE_SHEET, PARENT_PHONE):
            telegram.add_user(user_id, str(user_id))
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            assistant = Chatting(telegram, USERS["a1"])
            [listed] = await assistant.text("/invite")
            offered = choices(listed)  # the keyboard closes once a button of it is pressed
            [issued] = await assistant.press(listed, f"inv:gp:{group}:{g3}")
            code = next(line for line in (issued.text or "").splitlines() if line.startswith("Code: "))[6:]

            [refused] = await Chatting(telegram, FOUND_THE_SHEET).text(f"/start {lost}")
            [welcome, *_] = await Chatting(telegram, PARENT_PHONE).text(f"/start {code}")
            [again] = await assistant.text("/invite")
        finally:
            await running.stop()

    assert listed.text is not None and listed.text.startswith(NOT_JOINED.format(6))
    assert f"inv:gp:{group}:{g3}" in offered and len(offered) == 6
    assert issued.text is not None and "Гүлнар Касымова (parent)" in issued.text
    assert f"t.me/ustaz_test_bot?start={code}" in issued.text and code != lost
    assert refused.text == on_telegram("kk", "join.code_revoked")
    assert welcome.text is not None and welcome.text.startswith(translate("kk", "join.welcome", name="")[:12])
    assert again.text is not None and again.text.startswith(NOT_JOINED.format(5))
    assert f"inv:gp:{group}:{g3}" not in choices(again)
    check = make_engine(db_url)
    with Session(check) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "invite.reissued")).one()
    check.dispose()
    assert audit.actor_id == staff.ids["a1"] and audit.entity_id == g3 and audit.detail["group_id"] == group
