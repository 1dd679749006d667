"""A class teacher's saved announcements (/templates): saved once with placeholders, listed, filled
in and sent through the announcement's own audience, preview and sending; deleted; limits and bad
input answered; a second tap on any of their buttons changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.broadcast_templates import MAX_TEMPLATES, filled, placeholders
from models import AuditLog, Broadcast
from models.store import session_scope
from models.templates import BroadcastTemplate
from tests.handlers.test_broadcast_flow import lead_8b_too
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys

pytestmark = pytest.mark.flow
MEETING = "Құрметті ата-аналар! {күні} күні сағат {уақыты}-де {орны} ата-аналар жиналысы өтеді."


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def templates(staff: StaffWorld) -> list[BroadcastTemplate]:
    with Session(staff.engine) as session:
        return list(session.exec(select(BroadcastTemplate)).all())


def save(staff: StaffWorld, name: str = "Жиналыс", text: str = MEETING) -> int:
    assert keys(staff.press("c1", "tp:new")) == ["templates.ask_name"]
    assert keys(staff.say("c1", name)) == ["templates.ask_text"]
    saved = staff.say("c1", text)
    assert keys(saved) in (["templates.saved"], ["templates.replaced"])
    return int(saved[0].choices[0].value.rpartition(":")[2])


def test_placeholders_are_found_once_and_filled_in_one_pass() -> None:
    assert placeholders("{date} at {time}, {date} again, {дата}, {1x} {}") == ["date", "time", "дата"]
    assert filled("{date} at {time}", {"date": "{time}", "time": "18:00"}) == "{time} at 18:00"
    assert filled("{date} and {other}", {"date": "5.12"}) == "5.12 and {other}"


def test_a_template_saved_then_filled_in_and_sent_to_the_families(staff: StaffWorld) -> None:
    assert keys(staff.say("c1", "/templates")) == ["templates.none"]
    template_id = save(staff)
    [listed, heading] = staff.say("c1", "/templates")
    assert keys([listed, heading]) == ["templates.item", "templates.count"]
    assert "{күні}, {уақыты}, {орны}" in listed.text.render("kk")
    assert [c.value for c in listed.choices] == [f"tp:use:{template_id}", f"tp:del:{template_id}"]

    first = staff.press("c1", f"tp:use:{template_id}")
    assert keys(first) == ["templates.ask_value"] and first[0].text.params["placeholder"] == "{күні}"
    assert keys(staff.say("c1", "x" * 201)) == ["templates.value_invalid", "templates.ask_value"]
    assert staff.say("c1", "12.12")[0].text.params["placeholder"] == "{уақыты}"
    assert staff.say("c1", "18:00")[0].text.params["placeholder"] == "{орны}"
    audience = staff.say("c1", "12-кабинетте")
    assert keys(audience) == ["broadcast.ask_audience"]
    preview = staff.press("c1", "bc:aud:guardians")
    assert keys(preview) == ["broadcast.message", "broadcast.preview"]
    text = "Құрметті ата-аналар! 12.12 күні сағат 18:00-де 12-кабинетте ата-аналар жиналысы өтеді."
    assert text in preview[0].text.render("kk")
    assert keys(staff.press("c1", "bc:send:normal"))[0] == "broadcast.sent"
    with Session(staff.engine) as session:
        [sent] = session.exec(select(Broadcast)).all()
        assert sent.text == text
    assert len(staff.outbox("broadcast")) == 3
    assert templates(staff)[0].text == MEETING  # the template itself is unchanged


def test_a_name_used_again_replaces_the_text_and_delete_twice_deletes_once(staff: StaffWorld) -> None:
    template_id = save(staff)
    assert save(staff, text="Жиналыс {күні} күні.") == template_id
    [kept] = templates(staff)
    assert kept.text == "Жиналыс {күні} күні."
    assert keys(staff.press("c1", f"tp:del:{template_id}")) == ["templates.deleted"]
    assert keys(staff.press("c1", f"tp:del:{template_id}")) == ["templates.gone"]  # the second tap
    assert keys(staff.press("c1", f"tp:use:{template_id}")) == ["templates.gone"]
    assert templates(staff) == []
    with Session(staff.engine) as session:
        actions = [
            a.action for a in session.exec(select(AuditLog).where(AuditLog.entity == "broadcast_template"))
        ]
    assert actions == ["template.saved", "template.replaced", "template.deleted"]


def test_a_second_tap_on_use_starts_the_filling_again_and_sends_nothing(staff: StaffWorld) -> None:
    template_id = save(staff)
    staff.press("c1", f"tp:use:{template_id}")
    staff.say("c1", "12.12")
    again = staff.press("c1", f"tp:use:{template_id}")
    assert again[0].text.params["number"] == 1
    assert staff.outbox() == []


def test_another_teachers_template_is_not_theirs(staff: StaffWorld) -> None:
    template_id = save(staff)
    assert keys(staff.press("c2", f"tp:use:{template_id}")) == ["templates.gone"]
    assert keys(staff.press("c2", f"tp:del:{template_id}")) == ["templates.gone"]
    assert keys(staff.say("c2", "/templates")) == ["templates.none"]
    assert keys(staff.say("p1", "/templates"))[0] == "common.not_allowed"
    assert len(templates(staff)) == 1


def test_limits_on_names_placeholders_and_the_number_of_templates(staff: StaffWorld) -> None:
    staff.press("c1", "tp:new")
    assert keys(staff.say("c1", "x" * 61)) == ["templates.name_invalid"]
    staff.say("c1", "Құжаттар")
    too_many = " ".join(f"{{a{n}}}" for n in range(6))
    assert keys(staff.say("c1", too_many)) == ["templates.too_many_placeholders"]
    assert keys(staff.say("c1", "Құжаттарды {күні} дейін әкеліңіз")) == ["templates.saved"]
    with session_scope(staff.engine) as session:  # the rest written directly: typing them is throttled
        session.add_all(
            BroadcastTemplate(author_id=staff.ids["c1"], name=f"Үлгі {n}", text="Мәтін")
            for n in range(MAX_TEMPLATES - 1)
        )
    assert keys(staff.press("c1", "tp:new")) == ["templates.full"]
    assert len(templates(staff)) == MAX_TEMPLATES


def test_a_template_without_placeholders_goes_straight_to_the_audience(staff: StaffWorld) -> None:
    template_id = save(staff, name="Форма", text="Ертең мектеп формасымен келіңіздер.")
    assert keys(staff.press("c1", f"tp:use:{template_id}")) == ["broadcast.ask_audience"]


def test_cancel_leaves_the_filling_in(staff: StaffWorld) -> None:
    template_id = save(staff)
    staff.press("c1", f"tp:use:{template_id}")
    assert keys(staff.say("c1", "/cancel")) == ["leaving.left"]
    assert keys(staff.say("c1", "12.12")) != ["templates.ask_value"]
    assert staff.outbox() == []


def test_the_report_has_a_refresh_button(staff: StaffWorld) -> None:
    staff.say("c1", "/broadcast")
    staff.say("c1", "School is closed on Monday.")
    staff.press("c1", "bc:aud:guardians")
    staff.press("c1", "bc:send:normal")
    [report] = staff.say("c1", "/report")
    with Session(staff.engine) as session:
        broadcast_id = session.exec(select(Broadcast.id)).one()
    assert [c.value for c in report.choices] == [f"bc:report:{broadcast_id}"]
    [again] = staff.press("c1", f"bc:report:{broadcast_id}")
    assert again.text.key == "broadcast.report" and again.text.params["waiting"] == 3


def test_a_teacher_of_two_classes_chooses_the_class_before_filling_in(staff: StaffWorld) -> None:
    lead_8b_too(staff)
    template_id = save(staff, name="Саяхат", text="Жұма күні {орны} саяхат.")
    ask = staff.press("c1", f"tp:use:{template_id}")
    assert keys(ask) == ["broadcast.ask_class"]
    assert [c.value for c in ask[0].choices] == [f"tp:class:{staff.classes[k]}" for k in ("8A", "8B")]
    assert keys(staff.press("c1", f"tp:class:{staff.classes['8B']}")) == ["templates.ask_value"]
    staff.say("c1", "мұражайға")
    staff.press("c1", "bc:aud:pupils")
    staff.press("c1", "bc:send:normal")
    assert sorted(r.person_id for r in staff.outbox("broadcast")) == sorted(
        staff.ids[p] for p in ("p4", "p5", "p6")
    )
