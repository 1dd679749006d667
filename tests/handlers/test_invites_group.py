"""The assistant teacher's /invite, in-process: the families of the groups they assist and no one
else's, the class teacher's /invite as before, and someone who is both asked which list first; the
dashboard's invitation list names the same families under the group."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import AuditLog, Membership, TutoringGroup
from models.store import session_scope
from monitoring import scope_of
from monitoring.invites import headings, sections
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys

pytestmark = pytest.mark.flow


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def test_the_assistant_lists_their_groups_families_and_reissues_one_code(staff: StaffWorld) -> None:
    group = staff.groups["A1"]
    [listed] = staff.say("a1", "/invite")
    assert listed.text.key == "invites.group.ask_person"
    assert listed.text.params["group"] == "A1" and listed.text.params["count"] == 6
    values = [c.value for c in listed.choices]
    family = [staff.ids[n] for n in ("p1", "p2", "p3", "g1", "g2", "g3")]
    assert sorted(values) == sorted(f"inv:gp:{group}:{pid}" for pid in family)

    [issued] = staff.press("a1", f"inv:gp:{group}:{staff.ids['g3']}")
    assert issued.text.key == "invites.issued" and issued.text.params["name"] == "Гүлнар Касымова"
    with Session(staff.engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "invite.reissued")).one()
    assert audit.actor_id == staff.ids["a1"] and audit.entity_id == staff.ids["g3"]
    assert audit.detail == {"invite_id": audit.detail["invite_id"], "where": "chat", "group_id": group}


def test_the_assistant_cannot_reach_another_groups_family_nor_a_class_list(staff: StaffWorld) -> None:
    other, group = staff.groups["F1"], staff.groups["A1"]
    p4 = staff.ids["p4"]
    assert keys(staff.press("a1", f"inv:gp:{other}:{p4}")) == ["common.not_allowed"]
    assert keys(staff.press("a1", f"inv:gp:{group}:{p4}")) == ["invites.group.not_waiting"]
    assert keys(staff.press("a1", f"inv:p:{staff.classes['8B']}:{p4}")) == ["common.not_allowed"]
    assert keys(staff.press("a1", f"inv:group:{other}:0")) == ["common.not_allowed"]
    assert keys(staff.say("t1", "/invite")) == ["common.not_allowed"]  # a tutor only: not theirs
    with Session(staff.engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "invite.reissued")).first() is None


def test_a_class_teacher_who_also_assists_a_group_is_asked_which_list(staff: StaffWorld) -> None:
    with session_scope(staff.engine) as session:
        group = session.get(TutoringGroup, staff.groups["F1"])
        assert group is not None
        group.assistant_id = staff.ids["c1"]
        school = session.exec(select(Membership.school_id)).first()
        session.add(Membership(person_id=staff.ids["c1"], role="assistant", school_id=school))
    [asked] = staff.say("c1", "/invite")
    assert asked.text.key == "invites.group.ask_place"
    assert [c.value for c in asked.choices] == [
        f"inv:class:{staff.classes['8A']}:0",
        f"inv:group:{staff.groups['F1']}:0",
    ]
    [listed] = staff.press("c1", f"inv:group:{staff.groups['F1']}:0")
    assert listed.text.key == "invites.group.ask_person" and listed.text.params["group"] == "F1"
    [in_class] = staff.press("c1", f"inv:class:{staff.classes['8A']}:0")
    assert in_class.text.key == "invites.ask_person" and in_class.text.params["class_name"] == "8A"


def test_an_assistant_whose_families_have_all_joined_is_told_so(staff: StaffWorld) -> None:
    for name in ("p1", "p2", "p3", "g1", "g2", "g3"):
        staff.say(name, "/help")  # writing to the bot from their chat is joining
    assert keys(staff.say("a1", "/invite")) == ["invites.group.all_joined"]


def test_the_dashboards_group_list_names_the_families_the_assistant_can_reissue_to(staff: StaffWorld) -> None:
    with Session(staff.engine) as session:
        scope = scope_of(session, staff.ids["c1"])
        assert scope is not None
        found = headings(session, scope)
        listed = sections(session, scope, datetime.now(UTC), "en", found)
    a1 = next(s for s in listed if s.kind == "group" and s.title == "A1")
    family = {staff.ids[n] for n in ("p1", "p2", "p3", "g1", "g2", "g3")}
    assert family <= {p.person_id for p in a1.people}
    assert [h.size for h in found] == [len(s.people) for s in listed]  # the pages count what they list
