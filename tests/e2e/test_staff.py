"""End to end over HTTP through the Telegram emulator: after a lesson the tutor marks each pupil with
one tap; the assistant teacher's /status shows consent, the lesson and who has not handed in, and a
nudge reaches the pupil through the outbox; each role's commands outside its job are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bots.app import start
from models import Attendance
from models.migrate import upgrade
from models.store import make_engine
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.attendance import build_staff_world, chat_from
from tests.support.chatting import Chatting, choices, emulator_settings, on_telegram

pytestmark = pytest.mark.flow
USERS = {"t1": 901, "a1": 902, "c1": 903, "p1": 911, "p2": 912, "g1": 921}
TASK = "Алгебра: 42-бет, 1–5"


async def test_attendance_status_nudge_and_refusals_over_http(tmp_path: Path, db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    staff = build_staff_world(engine, tmp_path / "media")
    chat_from(staff, USERS)
    staff.homework("A1", TASK)
    engine.dispose()

    async with TelegramEmulator() as telegram:
        for name, user_id in USERS.items():
            telegram.add_user(user_id, name)
        running = await start(emulator_settings(telegram, tmp_path, db_url))
        try:
            tutor, assistant, teacher, pupil, guardian = (
                Chatting(telegram, USERS[name]) for name in ("t1", "a1", "c1", "p1", "g1")
            )

            # The group list of the lesson that began two hours ago: one tap per pupil.
            header, *rows = await tutor.text("/attendance", 4)
            assert header.text is not None and "A1" in header.text
            by_pupil = {(row.text or "").split(":")[0]: row for row in rows}
            assert set(by_pupil) == {"Нұрлан Сейітов", "Аружан Бекова", "Ерлан Касымов"}
            assert [value[-2:] for value in choices(by_pupil["Нұрлан Сейітов"])] == [":p", ":l", ":a"]
            await tutor.press(by_pupil["Нұрлан Сейітов"], "att:m:", 1)  # the first button: present
            late = next(v for v in choices(by_pupil["Аружан Бекова"]) if v.endswith(":l"))
            await tutor.press(by_pupil["Аружан Бекова"], late, 1)
            absent = next(v for v in choices(by_pupil["Ерлан Касымов"]) if v.endswith(":a"))
            marked_absent, complete = await tutor.press(by_pupil["Ерлан Касымов"], absent, 2)

            # The assistant's view of the group, then a nudge to one pupil who has not handed in
            # (Ерлан's parent has not consented: he is not offered).
            group, not_joined, homework = await assistant.text("/status", 3)
            assert not_joined.text is not None and "Ерлан Касымов" in not_joined.text  # has not written
            assert homework.text is not None and TASK in homework.text
            offered = [v for v in choices(homework) if v.startswith("st:one:")]
            assert sorted(int(v.rsplit(":", 1)[1]) for v in offered) == sorted(
                staff.ids[name] for name in ("p1", "p2")
            )
            [nudged] = await assistant.press(
                homework, next(v for v in offered if v.endswith(f":{staff.ids['p1']}"))
            )
            [nudge] = await pupil.answers(1)

            # Outside their job, each is refused in their own language.
            [not_tutor] = await assistant.text("/homework")
            [not_class_teacher] = await tutor.text("/broadcast")
            [not_attendance] = await teacher.text("/attendance")
            [not_review] = await pupil.text("/review")
            [not_status] = await guardian.text("/status")
        finally:
            await running.stop()

    assert marked_absent.text is not None and marked_absent.text.startswith("Ерлан Касымов")
    assert complete.text == on_telegram("kk", "attendance.complete", group="A1", present=1, late=1, absent=1)
    assert group.text is not None
    assert "Parent's consent: Аружан Бекова, Нұрлан Сейітов" in group.text
    assert "No consent: Ерлан Касымов" in group.text
    assert "joined Аружан Бекова, Нұрлан Сейітов; absent Ерлан Касымов" in group.text
    assert homework.text.endswith("Not handed in: Аружан Бекова, Нұрлан Сейітов")
    assert nudged.text == on_telegram("en", "status.nudged", sent=1, already=0)
    assert nudge.text is not None and TASK in nudge.text
    reminder = on_telegram("kk", "status.nudge_pupil", subject="Алгебра", title=TASK, due="{due}")
    before_due = reminder.split("{due}")[0]
    assert nudge.text.startswith(before_due)
    assert not_tutor.text == on_telegram("en", "homework.only_tutor")
    assert not_class_teacher.text == on_telegram("kk", "common.not_allowed")
    assert not_attendance.text == on_telegram("en", "common.not_allowed")
    assert not_review.text == on_telegram("kk", "review.only_tutor")
    assert not_status.text == on_telegram("ru", "common.not_allowed")

    check = make_engine(db_url)
    with Session(check) as session:
        marks = {row.pupil_id: row.status for row in session.exec(select(Attendance)).all()}
    check.dispose()
    assert marks == {staff.ids["p1"]: "present", staff.ids["p2"]: "late", staff.ids["p3"]: "absent"}
