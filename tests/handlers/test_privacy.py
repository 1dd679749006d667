"""A parent's own data: /mydata sends everything stored about their child as a file; /forget asks for
erasure, which happens only once the school's coordinator confirms it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import (
    AuditLog,
    ChannelIdentity,
    Consent,
    Guardianship,
    Membership,
    Notification,
    Person,
    School,
    Submission,
    SubmissionPage,
)
from models.store import session_scope
from tests.support.homework import World, build_world, keys

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    world = build_world(engine, tmp_path / "media")
    with session_scope(engine) as session:
        school = session.exec(select(School)).one()
        other = School(code="s2", name="№2 мектеп")
        session.add(other)
        session.flush()
        for name, school_id in (("k1", school.id), ("k2", other.id)):
            coordinator = Person(
                external_id=name, full_name=f"Coordinator {name}", locale="en", locale_chosen=True
            )
            session.add(coordinator)
            session.flush()
            assert coordinator.id is not None and school_id is not None
            world.ids[name] = coordinator.id
            session.add(Membership(person_id=coordinator.id, role="coordinator", school_id=school_id))
            session.add(ChannelIdentity(person_id=coordinator.id, channel="telegram", address=name))
    return world


def _hand_in(world: World, tmp_path: Path) -> Path:
    page = tmp_path / "media" / "homework" / "ab" / "abc.jpg"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(b"\xff\xd8page\xff\xd9")
    homework = world.homework()
    with session_scope(world.engine) as session:
        submission = Submission(homework_id=homework, pupil_id=world.ids["p1"], channel="telegram")
        session.add(submission)
        session.flush()
        assert submission.id is not None
        session.add(
            SubmissionPage(
                submission_id=submission.id, number=1, path=str(page), sha256="abc", size=8, width=1, height=1
            )
        )
    return page


def test_a_parent_gets_everything_stored_about_their_child_as_a_file(world: World, tmp_path: Path) -> None:
    _hand_in(world, tmp_path)
    [reply] = world.say("g1", "/mydata")
    assert reply.text.key == "privacy.export_ready" and reply.media_path
    exported = json.loads(Path(reply.media_path).read_text(encoding="utf-8"))
    [pupil] = exported["pupils"]
    assert pupil["person"]["full_name"] == "Нұрлан Сейітов"
    assert len(pupil["submissions"]) == 1 and pupil["pages"][0]["sha256"] == "abc"
    assert "path" not in pupil["pages"][0]
    assert pupil["consents"] and pupil["consents"][0]["given"] is True
    assert [g["subject"] for g in pupil["groups"]] == ["algebra"]
    assert "Аружан" not in Path(reply.media_path).read_text(encoding="utf-8")  # another family's child


@pytest.mark.parametrize("who", ["p1", "t1", "k1"])
def test_only_a_parent_may_ask(world: World, who: str) -> None:
    assert keys(world.say(who, "/mydata")) == ["common.not_allowed"]
    assert keys(world.say(who, "/forget")) == ["common.not_allowed"]


def _counts_about(engine: Engine, pupil_id: int) -> dict[str, int]:
    with Session(engine) as session:
        return {
            "submissions": len(session.exec(select(Submission).where(Submission.pupil_id == pupil_id)).all()),
            "consents": len(session.exec(select(Consent).where(Consent.pupil_id == pupil_id)).all()),
            "guardians": len(
                session.exec(select(Guardianship).where(Guardianship.pupil_id == pupil_id)).all()
            ),
            "identities": len(
                session.exec(select(ChannelIdentity).where(ChannelIdentity.person_id == pupil_id)).all()
            ),
        }


def test_erasure_waits_for_the_coordinator_then_removes_the_childs_data(world: World, tmp_path: Path) -> None:
    page = _hand_in(world, tmp_path)
    p1 = world.ids["p1"]
    before = _counts_about(world.engine, p1)

    [asked] = world.say("g1", "/forget")
    assert asked.text.key == "privacy.forget_requested"
    request_id = asked.text.params["id"]
    assert keys(world.say("g1", "/forget")) == ["privacy.forget_already"]
    # nothing is erased yet; the coordinator of the child's school is told, not the other school's
    assert _counts_about(world.engine, p1) == before and page.exists()
    [told] = world.outbox("privacy.forget_request")
    assert told.person_id == world.ids["k1"] and told.params["id"] == request_id

    assert keys(world.say("k2", f"/confirm_forget {request_id}")) == ["common.not_allowed"]
    assert keys(world.say("t1", f"/confirm_forget {request_id}")) == ["common.not_allowed"]
    assert keys(world.say("k1", "/confirm_forget 999999")) == ["privacy.forget_unknown"]
    assert _counts_about(world.engine, p1) == before

    assert keys(world.say("k1", f"/confirm_forget {request_id}")) == ["privacy.forget_done"]
    assert _counts_about(world.engine, p1) == {
        "submissions": 0,
        "consents": 0,
        "guardians": 0,
        "identities": 0,
    }
    assert not page.exists()
    with Session(world.engine) as session:
        pupil = session.get(Person, p1)
        assert pupil is not None and pupil.full_name == "" and pupil.phone is None
        confirmed = session.exec(select(AuditLog).where(AuditLog.action == "privacy.forget_confirmed")).one()
        assert confirmed.entity_id == request_id and confirmed.actor_id == world.ids["k1"]
        assert session.exec(select(Notification).where(Notification.about_pupil_id == p1)).all() == []
    [done] = world.outbox("privacy.forgotten")
    assert done.person_id == world.ids["g1"]
    assert keys(world.say("k1", f"/confirm_forget {request_id}")) == ["privacy.forget_unknown"]  # once only
    # the other children are untouched
    assert _counts_about(world.engine, world.ids["p2"])["submissions"] == 0
    assert _counts_about(world.engine, world.ids["p2"])["guardians"] == 1
