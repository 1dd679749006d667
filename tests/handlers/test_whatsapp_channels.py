"""/channels: a parent with Telegram, WhatsApp and SMS chooses where messages go first, from any of
them, by typing the number or the name of a choice; the outbox tries channels in priority order."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply
from models import ChannelIdentity, Membership, Person, School
from models.clock import utcnow
from models.store import session_scope
from settings import Settings

pytestmark = pytest.mark.flow

PHONE = "+77011234567"


@pytest.fixture
def parent(engine: Engine) -> int:
    with session_scope(engine) as session:
        school = School(code="s1", name="№1")
        person = Person(external_id="g1", full_name="Гүлнар", locale="ru", locale_chosen=True)
        session.add_all([school, person])
        session.flush()
        assert school.id and person.id
        session.add_all(
            [
                Membership(person_id=person.id, role="guardian", school_id=school.id),
                ChannelIdentity(person_id=person.id, channel="telegram", address="601", chat_id=601),
                ChannelIdentity(person_id=person.id, channel="whatsapp", address=PHONE, priority=1),
                ChannelIdentity(person_id=person.id, channel="sms", address=PHONE, priority=2),
                ChannelIdentity(person_id=person.id, channel="post", address="Абай к-сі 1", priority=3),
            ]
        )
        return person.id


def say(engine: Engine, text: str, channel: str = "whatsapp", address: str = PHONE) -> list[Reply]:
    inbound = Inbound(identity=Identity(channel, address), chat=Chat(address), text=text)
    return process(engine, inbound, Config.from_settings(Settings()))


def order(engine: Engine, person_id: int) -> list[str]:
    """The person's messengers in the order the outbox tries them (priority; skipping opted-out)."""
    with Session(engine) as session:
        identities = session.exec(
            select(ChannelIdentity)
            .where(ChannelIdentity.person_id == person_id, col(ChannelIdentity.opted_out_at).is_(None))
            .order_by(col(ChannelIdentity.priority), col(ChannelIdentity.id))
        ).all()
    return [i.channel for i in identities if i.channel != "post"]


def test_a_parent_puts_whatsapp_first_by_typing_its_number(engine: Engine, parent: int) -> None:
    assert order(engine, parent) == ["telegram", "whatsapp", "sms"]
    [question] = say(engine, "/channels")
    assert question.text.key == "channels.ask"
    assert [c.label.render("ru") for c in question.choices] == ["Telegram", "WhatsApp", "SMS"]
    [done] = say(engine, "2")
    assert done.text.render("ru").startswith("Хорошо") and "WhatsApp" in done.text.render("ru")
    assert order(engine, parent) == ["whatsapp", "telegram", "sms"]
    with Session(engine) as session:
        post = session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "post")).one()
        others = session.exec(select(col(ChannelIdentity.priority)).where(ChannelIdentity.channel != "post"))
        assert post.priority > max(others.all())


def test_only_the_persons_own_usable_channels_are_offered_and_accepted(engine: Engine, parent: int) -> None:
    with session_scope(engine) as session:
        sms = session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "sms")).one()
        sms.opted_out_at = utcnow()
        stranger = ChannelIdentity(channel="whatsapp", address="+77019999999")
        session.add_all([sms, stranger])
        session.flush()
        stranger_id = stranger.id
    [question] = say(engine, "/channels", channel="telegram", address="601")
    assert [c.label.key for c in question.choices] == ["channels.name.telegram", "channels.name.whatsapp"]
    inbound = Inbound(identity=Identity("telegram", "601"), chat=Chat("601"), choice=f"ch:{stranger_id}")
    [refused] = process(engine, inbound, Config.from_settings(Settings()))
    assert refused.text.key == "common.not_allowed"
    assert order(engine, parent) == ["telegram", "whatsapp"]


def test_the_choice_works_from_any_channel(engine: Engine, parent: int, tmp_path: Path) -> None:
    say(engine, "/channels", channel="telegram", address="601")
    inbound = Inbound(identity=Identity("telegram", "601"), chat=Chat("601"), text="SMS")
    [done] = process(engine, inbound, Config.from_settings(Settings()))
    assert done.text.key == "channels.set"
    assert order(engine, parent)[0] == "sms"
