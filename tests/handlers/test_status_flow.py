"""/status for the assistant teacher and the tutor: consent, who has not joined, last lesson, open
homework, nudges to pupils and consent reminders to parents."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from models import ChannelIdentity, Submission
from models.clock import utcnow
from models.store import session_scope
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys

pytestmark = pytest.mark.flow


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def test_the_assistant_sees_consent_attendance_and_who_has_not_handed_in(staff: StaffWorld) -> None:
    homework = staff.homework("A1", "Page 42")
    with session_scope(staff.engine) as session:
        session.add(Submission(homework_id=homework, pupil_id=staff.ids["p2"], channel="telegram"))
    key = f"{staff.lessons['A1']}:{staff.lesson_date.isoformat()}"
    staff.press("t1", f"att:m:{key}:{staff.ids['p1']}:l")
    staff.press("t1", f"att:m:{key}:{staff.ids['p2']}:a")

    replies = staff.say("a1", "/status")
    assert keys(replies) == ["status.group", "walk.status.not_joined", "status.homework"]
    group = replies[0].text.params
    assert group["group"] == "A1" and group["count"] == 3
    assert group["consent"].render("kk") == "Аружан Бекова, Нұрлан Сейітов"
    assert group["no_consent"].render("kk") == "Ерлан Касымов"
    lesson = group["lesson"].params
    assert (
        lesson["joined"].render("kk"),
        lesson["absent"].render("kk"),
        lesson["unmarked"].render("kk"),
    ) == (
        "Нұрлан Сейітов",
        "Аружан Бекова",
        "Ерлан Касымов",
    )
    work = replies[2]
    assert work.text.params["missing"].render("kk") == "Нұрлан Сейітов"  # p3 has no consent: not nudged
    assert [c.value for c in work.choices] == [f"st:one:{homework}:{staff.ids['p1']}"]
    rendered = replies[0].text.render("en")
    assert "Ерлан Касымов" in rendered and "Last lesson" in rendered


def test_a_nudge_reaches_the_pupil_once_a_day(staff: StaffWorld) -> None:
    homework = staff.homework("A1", "Page 42")
    replies = staff.say("t1", "/status")
    nudge_all = replies[2].choices[0]
    assert nudge_all.value == f"st:all:{homework}"
    done = staff.press("t1", nudge_all.value)
    assert keys(done) == ["status.nudged"] and done[0].text.params == {"sent": 2, "already": 0}
    assert sorted(n.person_id for n in staff.outbox("homework.nudge")) == sorted(
        [staff.ids["p1"], staff.ids["p2"]]
    )
    again = staff.press("a1", f"st:one:{homework}:{staff.ids['p1']}")
    assert again[0].text.params == {"sent": 0, "already": 1}
    assert len(staff.outbox("homework.nudge")) == 2


def test_a_pupil_who_handed_in_is_not_nudged(staff: StaffWorld) -> None:
    homework = staff.homework("A1", "Page 42")
    with session_scope(staff.engine) as session:
        session.add(Submission(homework_id=homework, pupil_id=staff.ids["p1"], channel="telegram"))
    replies = staff.press("a1", f"st:one:{homework}:{staff.ids['p1']}")
    assert keys(replies) == ["status.nudge_not_needed"]
    assert staff.outbox("homework.nudge") == []


def test_with_no_lesson_and_no_homework_the_status_says_so(staff: StaffWorld) -> None:
    replies = staff.say("t2", "/status")
    assert keys(replies) == ["status.group", "walk.status.not_joined"]
    unmarked = replies[0].text.params["lesson"].params["unmarked"]
    assert unmarked.render("kk") == "Алихан Жумабаев, Мадина Нурова, Самат Ильясов"


def test_a_pupil_without_consent_is_not_nudged(staff: StaffWorld) -> None:
    homework = staff.homework("A1", "Page 42")
    replies = staff.press("a1", f"st:one:{homework}:{staff.ids['p3']}")
    assert keys(replies) == ["status.nudge_no_consent"]
    assert staff.outbox("homework.nudge") == []


def test_the_assistant_sees_who_has_not_joined_and_reminds_the_undecided_parents_once_a_day(
    staff: StaffWorld,
) -> None:
    with session_scope(staff.engine) as session:  # p1 has written to the bot: joined
        identity = session.exec(
            select(ChannelIdentity).where(ChannelIdentity.person_id == staff.ids["p1"])
        ).one()
        identity.last_inbound_at = utcnow()
    group, not_joined = staff.say("a1", "/status")
    assert not_joined.text.params["count"] == 2
    assert not_joined.text.params["pupils"].render("kk") == "Аружан Бекова, Ерлан Касымов"
    [remind] = group.choices  # p3 has no consent
    assert remind.value == f"st:consent:{staff.groups['A1']}" and remind.label.params["count"] == 1
    done = staff.press("a1", remind.value)
    assert keys(done) == ["status.nudged"] and done[0].text.params == {"sent": 1, "already": 0}
    [sent] = staff.outbox("consent.school_reminder")
    assert (sent.person_id, sent.about_pupil_id) == (staff.ids["g3"], staff.ids["p3"])
    again = staff.press("t1", remind.value)  # the tutor the same day: nothing more
    assert again[0].text.params == {"sent": 0, "already": 1}
    assert keys(staff.press("t2", remind.value)) == ["common.not_allowed"]  # not t2's group
