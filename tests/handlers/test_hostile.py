"""Hostile input through the handlers' entry point: a flood from one person, a stranger guessing invite
codes, a 10,000-character message. (Forged webhooks: tests/bots/test_hostile_webhook.py and
tests/e2e/test_whatsapp_flow.py; bad photos: tests/photos/test_photos.py and
tests/handlers/test_homework_flow.py; roster text: tests/roster/test_roster_import.py; another
role's commands: tests/handlers/test_roles.py.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from handlers import throttle
from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound
from models import ChannelIdentity, Homework, InboundReceipt, Invite, Person, ThreadMessage
from models.clock import utcnow
from models.invites import issue_invite
from models.store import session_scope
from settings import Settings
from tests.support.homework import World, build_world, keys

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_delivery_sent_again_is_handled_once(world: World) -> None:
    first = Inbound(Identity("telegram", "r1"), Chat("r1"), text="/start", external_id="m-r1:1")
    assert keys(process(world.engine, first, world.config)) == ["start.stranger"]
    assert process(world.engine, first, world.config) == []  # Telegram resent it: no second answer
    again = Inbound(Identity("telegram", "r1"), Chat("r1"), text="/start", external_id="m-r1:2")
    assert keys(process(world.engine, again, world.config)) == ["start.stranger"]  # a new message is answered
    with Session(world.engine) as session:
        receipts = session.exec(select(InboundReceipt.external_id).order_by(InboundReceipt.id)).all()
        identities = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == "r1")).all()
    assert receipts == ["m-r1:1", "m-r1:2"]
    assert identities == []  # someone unknown who only said hello is not kept


def test_a_flood_from_one_person_is_throttled_and_others_are_unaffected(world: World) -> None:
    answers = [
        process(
            world.engine,
            Inbound(Identity("telegram", "g1"), Chat("g1"), text=f"/consent {n}", external_id=f"flood-{n}"),
            world.config,
        )
        for n in range(100)
    ]
    handled = [a for a in answers if a and keys(a) != ["throttle.slow_down"]]
    told = [a for a in answers if keys(a) == ["throttle.slow_down"]]
    assert len(handled) <= throttle.BURST + 5  # the burst, and what refilled while the flood ran
    assert len(told) == 1  # told once, then dropped silently
    assert told[0][0].locale == "kk"
    # dropped updates never reached the store
    assert _count(world.engine, InboundReceipt) == len(handled)
    # someone else, at the same moment, is answered as usual
    assert keys(world.say("g2", "/consent")) != ["throttle.slow_down"]
    assert world.say("g2", "/consent")


def test_the_bucket_refills_and_a_new_flood_is_told_again() -> None:
    now = [0.0]
    bucket = throttle.Throttle(burst=3, per_second=1.0, clock=lambda: now[0])
    someone = Identity("whatsapp", "+77010000001")
    assert [bucket.admit(someone) for _ in range(5)] == [True, True, True, False, None]
    now[0] += 1.0
    assert [bucket.admit(someone) for _ in range(2)] == [True, None]
    now[0] += 10.0
    assert [bucket.admit(someone) for _ in range(4)] == [True, True, True, False]


def _stranger(engine: Engine, text: str, n: int) -> list[str]:
    inbound = Inbound(Identity("telegram", "9999"), Chat("9999"), text=text, external_id=f"guess-{n}")
    return keys(process(engine, inbound, Config.from_settings(Settings())))


def test_a_stranger_guessing_codes_is_told_to_wait_even_for_a_right_one(world: World) -> None:
    with session_scope(world.engine) as session:
        code = issue_invite(session, world.ids["p3"], ttl=timedelta(days=3)).code
    for n in range(throttle.MAX_WRONG_CODES):
        assert _stranger(world.engine, f"/start WRONGCODE{n}", n) == ["join.code_unknown"]
    assert _stranger(world.engine, f"/start {code}", 99) == ["throttle.codes_wait"]
    with Session(world.engine) as session:
        invite = session.exec(select(Invite).where(Invite.code == code)).one()
        assert invite.used_at is None
        stranger = session.exec(select(ChannelIdentity).where(ChannelIdentity.address == "9999")).one()
        assert stranger.person_id is None
    # an hour later the right code works
    with time_machine.travel(utcnow() + throttle.WRONG_CODE_WINDOW + timedelta(minutes=1), tick=False):
        assert _stranger(world.engine, f"/start {code}", 100)[0] == "join.welcome"


def test_another_identity_is_not_held_back_by_a_guesser(world: World) -> None:
    for n in range(throttle.MAX_WRONG_CODES):
        _stranger(world.engine, f"/start WRONGCODE{n}", n)
    with session_scope(world.engine) as session:
        code = issue_invite(session, world.ids["p3"], ttl=timedelta(days=3)).code
    other = Inbound(Identity("telegram", "8888"), Chat("8888"), text=f"/start {code}")
    assert keys(process(world.engine, other, world.config))[0] == "join.welcome"


LONG = "ә" * 10_000


def test_a_10000_character_message_from_a_stranger_is_answered_and_not_kept(world: World) -> None:
    people = _count(world.engine, Person)
    assert _stranger(world.engine, LONG, 1) == ["join.stranger"]
    assert _count(world.engine, Person) == people
    with Session(world.engine) as session:
        assert all(len(i.address) < 100 for i in session.exec(select(ChannelIdentity)).all())


@pytest.mark.usefixtures("daytime")  # a family writing in quiet hours is told when to expect an answer
def test_a_10000_character_message_from_a_parent_is_kept_whole_and_sent_in_parts(world: World) -> None:
    assert keys(world.say("g1", LONG)) == ["threads.sent.tutor", "threads.sent_in_parts"]
    with Session(world.engine) as session:
        [message] = session.exec(select(ThreadMessage)).all()
    assert message.text == LONG
    parts = world.outbox("thread.to_staff")
    assert len(parts) == 10 and all(n.person_id == world.ids["t1"] for n in parts)
    assert "".join(str(n.params["body"]) for n in parts) == LONG


def test_a_10000_character_homework_text_is_refused_with_the_limit(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    refused = world.say("t1", LONG)
    assert keys(refused) == ["homework.text_too_long"]
    assert refused[0].text.params["limit"] < len(LONG)
    assert _count(world.engine, Homework) == 0
    assert keys(world.say("t1", "§3, exercises 1–4")) == ["homework.ask_due"]  # still asked, still works
