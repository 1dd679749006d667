"""Catching up through the handlers' entry point: homework set before a pupil joined reaches them
when they join, and the tutor's count says who has it; a parent who joins or agrees gets what
matters now, and the child who is in a chat gets theirs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from locales import Lines, T
from models import Consent, GroupMember, Guardianship, Membership, Notification, Person
from models.clock import utcnow
from models.invites import issue_invite
from models.store import session_scope
from outbox.write import enqueue, stored_text
from tests.support.homework import World, build_world, keys

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def newcomer(world: World) -> str:
    """A pupil of A1 with a parent's consent who has not joined yet (no chat); their invite code."""
    with session_scope(world.engine) as session:
        pupil = Person(external_id="p7", full_name="Дәулет Омаров")
        session.add(pupil)
        session.flush()
        assert pupil.id is not None
        world.ids["p7"] = pupil.id
        school_id = session.exec(select(Membership.school_id)).first() or 0
        session.add(Membership(person_id=pupil.id, role="pupil", school_id=school_id))
        session.add(GroupMember(group_id=world.groups["A1"], pupil_id=pupil.id))
        session.add(Guardianship(guardian_id=world.ids["g2"], pupil_id=pupil.id))
        session.add(
            Consent(
                guardian_id=world.ids["g2"],
                pupil_id=pupil.id,
                text_version="1",
                given=True,
                channel="telegram",
            )
        )
        return issue_invite(session, pupil.id, ttl=timedelta(days=1)).code


def set_homework(world: World, text: str) -> list[str]:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    world.say("t1", text)
    world.say("t1", "tomorrow 18:00")
    world.press("t1", "hw:kind:formative")
    [created] = world.press("t1", "hw:confirm:yes")
    return [created.text.key, *(t.key for t in created.text.params.get("rest", Lines(())).texts)]


def rows(world: World, person: str, kind: str) -> list[Notification]:
    with Session(world.engine) as session:
        return list(
            session.exec(
                select(Notification)
                .where(Notification.person_id == world.ids[person], Notification.kind == kind)
                .order_by(col(Notification.id))
            ).all()
        )


def settle_no_channel(world: World, person: str) -> None:
    """What the dispatcher does with a row for someone with no chat: "no_channel"."""
    with session_scope(world.engine) as session:
        for row in session.exec(
            select(Notification).where(Notification.person_id == world.ids[person])
        ).all():
            row.status = "no_channel"
            session.add(row)


def test_homework_set_before_a_pupil_joined_reaches_them_when_they_join(world: World) -> None:
    code = newcomer(world)
    # The tutor is told honestly: two pupils have it now, one gets it on joining, one has no consent.
    assert set_homework(world, "§7, 1–4") == [
        "homework.created_partly",
        "homework.created_waiting",
        "homework.created_no_consent",
    ]
    [notice] = rows(world, "p7", "homework.new")
    # A reminder that fell due meanwhile (and found no chat either) is stale: it stays where it is.
    with session_scope(world.engine) as session:
        enqueue(
            session,
            kind="homework.reminder",
            text=T("notify.homework.reminder", subject="x", due="y"),
            idempotency_key=notice.idempotency_key.replace("homework-new:", "homework:") + "1440:",
            person_id=world.ids["p7"],
        )
    settle_no_channel(world, "p7")

    joined = world.say("p7", f"/start {code}")
    assert keys(joined) == ["join.welcome", "language.ask"]
    caught_up = world.press("p7", "lang:ru")
    assert keys(caught_up) == ["language.set", "catch_up.pupil"]
    assert "§7, 1–4" in caught_up[1].text.render("ru")
    [again] = rows(world, "p7", "homework.new")
    assert again.id == notice.id and again.status == "pending" and again.attempts == 0
    assert [r.status for r in rows(world, "p7", "homework.reminder")] == ["no_channel"]
    # A second language choice later is not a joining: nothing more.
    assert keys(world.press("p7", "lang:kk")) == ["language.set"]


def test_a_parents_yes_brings_the_child_in_a_chat_what_they_missed(world: World) -> None:
    set_homework(world, "§8")
    assert rows(world, "p3", "homework.new") == []  # no consent: nothing written
    answer = world.press("g3", f"consent:yes:{world.ids['p3']}")
    assert keys(answer) == ["consent.thanks_yes", "catch_up.child"]
    assert "§8" in answer[1].text.render("kk")
    [summary] = rows(world, "p3", "catch_up")
    assert summary.about_pupil_id == world.ids["p3"] and "§8" in stored_text(summary).render("kk")
    [notice] = rows(world, "p3", "homework.new")
    assert notice.status == "pending"
    # The same consent answered twice writes nothing new.
    world.press("g3", f"consent:yes:{world.ids['p3']}")
    assert len(rows(world, "p3", "homework.new")) == 1


def test_a_parent_who_joins_gets_each_consenting_childs_summary(world: World) -> None:
    world.homework(text="Open task", due=utcnow() + timedelta(days=1))
    with session_scope(world.engine) as session:
        parent = Person(external_id="g9", full_name="Сәуле Бекова")
        session.add(parent)
        session.flush()
        assert parent.id is not None
        session.add(Membership(person_id=parent.id, role="guardian", school_id=1))
        session.add(Guardianship(guardian_id=parent.id, pupil_id=world.ids["p2"]))  # consent given by g2
        session.add(Guardianship(guardian_id=parent.id, pupil_id=world.ids["p3"]))  # no consent
        code = issue_invite(session, parent.id, ttl=timedelta(days=1)).code
    world.say("g9", f"/start {code}")
    replies = world.press("g9", "lang:en")
    # p3 has no decision from this parent yet: asked; p2's consent is in force: their summary.
    assert keys(replies) == ["language.set", "consent.request", "consent.request", "catch_up.child"]
    assert replies[-1].text.params["pupil"] == "Аружан Бекова"
    assert "Open task" in replies[-1].text.render("en")
