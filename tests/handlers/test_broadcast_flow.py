"""Class chat linking and class announcements, in-process through the handlers' entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply
from models import AuditLog, Broadcast, Notification, Person, SchoolClass
from models.enums import NotificationStatus
from models.store import session_scope
from outbox.write import stored_text
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys, page_image

pytestmark = pytest.mark.flow
CHAT = "-1001234"


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def in_group(staff: StaffWorld, who: str, text: str, chat: str = CHAT) -> list[Reply]:
    inbound = Inbound(identity=Identity("telegram", who), chat=Chat(chat, is_group=True), text=text)
    return process(staff.engine, inbound, staff.config)


def linked_chat(staff: StaffWorld, klass: str = "8A") -> int | None:
    with Session(staff.engine) as session:
        row = session.get(SchoolClass, staff.classes[klass])
        assert row is not None
        return row.telegram_chat_id


def link(staff: StaffWorld) -> None:
    code = staff.say("c1", "/link")[0].text.params["code"]
    assert keys(in_group(staff, "c1", f"/link@ustaz_bot {code}")) == ["broadcast.link.done"]


def test_only_the_class_teacher_links_the_class_chat_with_their_code(staff: StaffWorld) -> None:
    issued = staff.say("c1", "/link")
    assert keys(issued) == ["broadcast.link.code"] and issued[0].text.params["class_name"] == "8A"
    code = issued[0].text.params["code"]
    assert keys(in_group(staff, "g1", f"/link {code}")) == ["broadcast.link.not_teacher"]
    assert keys(in_group(staff, "c2", f"/link {code}")) == ["broadcast.link.bad_code"]
    assert keys(in_group(staff, "c1", "/link WRONGCODE2")) == ["broadcast.link.bad_code"]
    assert linked_chat(staff) is None and linked_chat(staff, "8B") is None
    assert in_group(staff, "c1", "hello everyone") == []  # other group talk is not ours
    done = in_group(staff, "c1", f"/link {code.lower()}")
    assert keys(done) == ["broadcast.link.done"] and done[0].locale == "kk"  # the chat's language
    assert linked_chat(staff) == int(CHAT)
    assert keys(in_group(staff, "c1", f"/link {code}")) == ["broadcast.link.bad_code"]  # spent
    with Session(staff.engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "class.chat_linked")).one()
        assert audit.entity_id == staff.classes["8A"] and audit.actor_id == staff.ids["c1"]


def test_an_urgent_announcement_goes_to_the_chat_and_every_family_of_the_class(staff: StaffWorld) -> None:
    link(staff)
    assert keys(staff.say("c1", "/broadcast")) == ["broadcast.ask_text"]
    audience = staff.say("c1", "Parents' meeting on Friday at 18:00, room 12.")
    assert keys(audience) == ["broadcast.ask_audience"]
    assert [c.value for c in audience[0].choices] == [
        "bc:aud:group_chat",
        "bc:aud:both",
        "bc:aud:guardians",
        "bc:aud:pupils",
        f"bc:aud:group:{staff.groups['A1']}",
    ]
    preview = staff.press("c1", "bc:aud:both")
    assert keys(preview) == ["broadcast.message", "broadcast.preview", "broadcast.preview_chat"]
    assert preview[1].text.params["people"] == 3
    assert "Parents' meeting" in preview[0].text.render("en")
    sent = staff.press("c1", "bc:send:urgent")
    assert keys(sent) == ["broadcast.sent"] and sent[0].text.params["people"] == 3
    with Session(staff.engine) as session:
        broadcast = session.exec(select(Broadcast)).one()
        assert broadcast.urgent and broadcast.audience == "group_chat,guardians"
        rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
        urgent_audit = session.exec(select(AuditLog).where(AuditLog.action == "broadcast.urgent")).one()
    assert urgent_audit.entity_id == broadcast.id
    assert [r.group_chat_id for r in rows if r.group_chat_id] == [int(CHAT)]
    assert sorted(r.person_id for r in rows if r.person_id) == sorted(
        staff.ids[g] for g in ("g1", "g2", "g3")
    )
    assert all(r.broadcast_id == broadcast.id and r.urgent and r.kind == "broadcast" for r in rows)
    assert sent[0].choices[0].value == f"bc:report:{broadcast.id}"


def test_no_pupil_detail_reaches_the_chat_or_families(staff: StaffWorld) -> None:
    with session_scope(staff.engine) as session:
        for name in ("p1", "p2"):
            pupil = session.get(Person, staff.ids[name])
            assert pupil is not None
            pupil.low_income = True
    link(staff)
    staff.say("c1", "/broadcast")
    staff.say("c1", "Tomorrow we go to the museum.")
    staff.press("c1", "bc:aud:both")
    staff.press("c1", "bc:send:normal")
    for row in staff.outbox("broadcast"):
        text = stored_text(row)
        assert set(text.params) == {"class_name", "teacher", "text"}
        for language in ("kk", "ru", "en"):
            rendered = text.render(language)
            assert "Нұрлан" not in rendered and "Аружан" not in rendered


def test_pupils_without_consent_are_skipped_and_one_tutoring_group_can_be_chosen(staff: StaffWorld) -> None:
    staff.say("c1", "/broadcast")
    audience = staff.say("c1", "Olympiad registration is open.")
    assert "bc:aud:group_chat" not in [c.value for c in audience[0].choices]  # no chat linked yet
    staff.press("c1", f"bc:aud:group:{staff.groups['A1']}")
    sent = staff.press("c1", "bc:send:normal")
    assert sent[0].text.params["people"] == 2 and sent[0].text.params["skipped"] == 1
    assert sorted(r.person_id for r in staff.outbox("broadcast")) == sorted(
        [staff.ids["p1"], staff.ids["p2"]]
    )


def test_a_photo_goes_with_the_announcement(staff: StaffWorld) -> None:
    staff.say("c1", "/broadcast")
    assert keys(staff.photos("c1", page_image())) == ["broadcast.attachment_kept"]
    staff.say("c1", "The timetable for next week")
    preview = staff.press("c1", "bc:aud:guardians")
    assert preview[0].media_path is not None and Path(preview[0].media_path).exists()
    staff.press("c1", "bc:send:normal")
    assert {r.media_path for r in staff.outbox("broadcast")} == {preview[0].media_path}


def test_cancel_sends_nothing(staff: StaffWorld) -> None:
    staff.say("c1", "/broadcast")
    staff.say("c1", "Draft")
    staff.press("c1", "bc:aud:pupils")
    assert keys(staff.press("c1", "bc:cancel")) == ["broadcast.cancelled"]
    assert keys(staff.press("c1", "bc:send:normal")) == ["broadcast.expired"]
    assert staff.outbox() == []


def test_the_delivery_report_names_those_not_reached(staff: StaffWorld) -> None:
    assert keys(staff.say("c1", "/report")) == ["broadcast.report.none"]
    link(staff)
    staff.say("c1", "/broadcast")
    staff.say("c1", "School is closed on Monday.")
    staff.press("c1", "bc:aud:both")
    staff.press("c1", "bc:send:normal")
    outcome = {
        "g1": NotificationStatus.SENT,
        "g2": NotificationStatus.NO_CHANNEL,
        "g3": NotificationStatus.FAILED,
    }
    with session_scope(staff.engine) as session:
        for row in session.exec(select(Notification)).all():
            if row.group_chat_id is not None:
                row.status = NotificationStatus.SENT.value
            else:
                name = next(n for n, i in staff.ids.items() if i == row.person_id)
                row.status = outcome[name].value
    [report] = staff.say("c1", "/report")
    params = report.text.params
    assert (params["delivered"], params["waiting"], params["failed"], params["no_channel"]) == (1, 0, 1, 1)
    assert params["failed_names"].render("kk") == "Гүлнар Касымова"
    assert params["no_channel_names"].render("kk") == "Бота Бекова"
    assert params["chat"].key == "broadcast.report.chat_delivered"
    assert "Бота Бекова" in report.text.render("kk")


def test_a_chat_upgraded_to_a_supergroup_keeps_its_class_and_waiting_posts(staff: StaffWorld) -> None:
    from handlers.class_chat import chat_migrated

    link(staff)
    staff.say("c1", "/broadcast")
    staff.say("c1", "Sports day on Saturday.")
    staff.press("c1", "bc:aud:group_chat")
    staff.press("c1", "bc:send:normal")
    new_chat = -1009999
    assert chat_migrated(staff.engine, int(CHAT), new_chat) == 1
    assert chat_migrated(staff.engine, int(CHAT), new_chat) == 0  # announced in both chats: once
    assert linked_chat(staff) == new_chat
    assert [r.group_chat_id for r in staff.outbox("broadcast")] == [new_chat]


def test_a_teacher_of_two_classes_chooses_the_class_first(staff: StaffWorld) -> None:
    from models import Membership

    with session_scope(staff.engine) as session:
        school_id = session.exec(select(Membership.school_id)).first()
        assert school_id is not None
        session.add(
            Membership(
                person_id=staff.ids["c1"],
                role="class_teacher",
                school_id=school_id,
                class_id=staff.classes["8B"],
            )
        )
    ask = staff.say("c1", "/link")
    assert [c.value for c in ask[0].choices] == [f"bc:linkclass:{staff.classes[k]}" for k in ("8A", "8B")]
    code = staff.press("c1", f"bc:linkclass:{staff.classes['8B']}")[0].text.params["code"]
    assert keys(in_group(staff, "c1", f"/link {code}")) == ["broadcast.link.done"]
    assert linked_chat(staff, "8B") == int(CHAT) and linked_chat(staff, "8A") is None
    assert keys(staff.say("c1", "/broadcast")) == ["broadcast.ask_class"]
    assert keys(staff.press("c1", f"bc:class:{staff.classes['8B']}")) == ["broadcast.ask_text"]
    staff.say("c1", "8B: trip on Friday")
    staff.press("c1", "bc:aud:pupils")
    staff.press("c1", "bc:send:normal")
    assert sorted(r.person_id for r in staff.outbox("broadcast")) == sorted(
        staff.ids[p] for p in ("p4", "p5", "p6")
    )
