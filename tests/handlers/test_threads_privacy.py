"""Property-based: whatever families and staff write to each other (random words, typed choices,
references to any thread, problems reported), no message a family member receives — an answer in
the chat or an outbox row, in any language — holds anyone else's phone number or Telegram id, the
name of another family's member, or the name of a staff member who never took part in their threads."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply
from locales import LANGUAGES
from models import ChannelIdentity, Guardianship, Notification, Person, Thread, ThreadMessage
from models.store import make_engine, session_scope
from outbox.write import stored_text
from tests.support.homework import PEOPLE, World
from tests.support.threads import STAFF, build_school

pytestmark = pytest.mark.flow

TELEGRAM_IDS = {name: 700_000_100 + n for n, name in enumerate([*PEOPLE, *STAFF], start=1)}
FAMILY = ["g1", "g2", "g3", "p1", "p2", "p4"]
STAFF_NAMES = ["t1", "t2", "ct1", "a1", "c1"]
ANSWERS = ["Жақсы, рахмет.", "Ертең сабақта сөйлесейік.", "Хорошо, учту.", "See you at the lesson.", ""]
WORDS = ["Сәлеметсіз бе", "Алгебра сұрағы", "Не могу подключиться", "мәселе", "физика?", "👍", "1", "2", "3"]
DELIVERY = count()

events = st.lists(
    st.one_of(
        st.tuples(
            st.just("family"),
            st.sampled_from(FAMILY),
            st.one_of(st.sampled_from(WORDS), st.text(max_size=40)),
        ),
        st.tuples(st.just("family_ref"), st.sampled_from(FAMILY), st.integers(1, 8)),
        st.tuples(st.just("staff_ref"), st.sampled_from(STAFF_NAMES), st.integers(1, 8)),
        st.tuples(st.just("answer"), st.sampled_from(ANSWERS), st.integers(0, 8)),
        st.tuples(st.just("history"), st.sampled_from(FAMILY), st.integers(0, 8)),
        st.tuples(st.just("press"), st.sampled_from(FAMILY), st.integers(0, 6)),
    ),
    min_size=1,
    max_size=15,
)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    world = build_school(engine, tmp_path / "media", TELEGRAM_IDS)
    with session_scope(engine) as session:  # everyone has a phone, distinct and recognisable
        for n, person in enumerate(session.exec(select(Person)).all()):
            person.phone = f"+7701555{n:04d}"
    yield world


def _household(session: Session, person_id: int) -> set[int]:
    """A family member, their children and their children's parents."""
    pupils = {person_id} | set(
        session.exec(select(Guardianship.pupil_id).where(Guardianship.guardian_id == person_id)).all()
    )
    parents = set(
        session.exec(select(Guardianship.guardian_id).where(col(Guardianship.pupil_id).in_(pupils))).all()
    )
    return pupils | parents


def _their_staff(session: Session, person_id: int) -> set[int]:
    """Everyone who holds or held one of the family member's threads, or wrote in it."""
    threads = session.exec(select(Thread).where(Thread.family_id == person_id)).all()
    authors = session.exec(
        select(ThreadMessage.author_id).where(col(ThreadMessage.thread_id).in_([t.id for t in threads]))
    ).all()
    return {t.staff_id for t in threads} | set(authors)


def _forbidden(session: Session, person_id: int) -> list[str]:
    allowed = _household(session, person_id) | _their_staff(session, person_id)
    people = session.exec(select(Person)).all()
    found = [p.phone for p in people if p.phone and p.id != person_id]
    found += [p.full_name for p in people if p.id not in allowed and p.full_name]
    found += [i.address for i in session.exec(select(ChannelIdentity)).all() if i.person_id != person_id]
    return found


def _actual(
    world: World, engine: Engine, event: tuple[str, str, object]
) -> tuple[str, tuple[str, str, object]]:
    """Who writes, and what: an "answer" is the staff member of an existing thread answering it
    (by its reference); "history" a family member reading one of their threads."""
    kind, first, index = event
    if kind not in ("answer", "history"):
        return first, event
    names = {person_id: name for name, person_id in world.ids.items()}
    with Session(engine) as session:
        threads = session.exec(select(Thread).order_by(col(Thread.id))).all()
        if kind == "history":
            threads = [t for t in threads if t.family_id == world.ids[first]]
    if not threads:
        return (first if kind == "history" else "t1"), ("family", first, "/start")
    thread = threads[int(str(index)) % len(threads)]
    if kind == "history":
        return first, ("family", first, f"#{thread.id}")
    return names[thread.staff_id], ("family", names[thread.staff_id], f"#{thread.id} {first}".strip())


def _inbound(who: str, event: tuple[str, str, object], offered: dict[str, list[str]]) -> Inbound:
    identity = Identity("telegram", str(TELEGRAM_IDS[who]))
    chat, external = Chat(str(TELEGRAM_IDS[who])), f"e{next(DELIVERY)}"
    kind, _, value = event
    if kind == "press":
        choices = offered.get(who) or ["thr:new:"]
        return Inbound(identity, chat, choice=choices[int(str(value)) % len(choices)], external_id=external)
    if kind == "family_ref":
        return Inbound(identity, chat, text=f"#{value} қосымша сұрақ", external_id=external)
    if kind == "staff_ref":
        answer = ANSWERS[int(str(value)) % len(ANSWERS)]
        return Inbound(identity, chat, text=f"#{value} {answer}".strip(), external_id=external)
    return Inbound(identity, chat, text=str(value), external_id=external)


def _check(session: Session, person_id: int, texts: list[str]) -> None:
    forbidden = _forbidden(session, person_id)
    for text in texts:
        leaked = [value for value in forbidden if value in text]
        assert not leaked, f"{leaked} in a message to person {person_id}: {text!r}"


def _rendered(replies: list[Reply], locale: str) -> list[str]:
    return [r.text.render(locale) + "".join(c.label.render(locale) for c in r.choices) for r in replies]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_no_family_ever_receives_anothers_contact_or_name(world: World, db_url: str, sequence: list) -> None:  # type: ignore[type-arg]
    engine = make_engine(db_url)  # a fresh engine: the flood limit is per store and per process
    offered: dict[str, list[str]] = {}
    family_ids = {world.ids[name] for name in FAMILY} | {world.ids[n] for n in ("p3", "p5", "p6")}
    try:
        with Session(engine) as session:
            seen = session.exec(select(Notification.id).order_by(col(Notification.id).desc())).first() or 0
        for drawn in sequence:
            who, event = _actual(world, engine, drawn)
            replies = process(engine, _inbound(who, event, offered), world.config)
            offered[who] = [c.value for r in replies for c in r.choices] or offered.get(who, [])
            with Session(engine) as session:
                if world.ids[who] in family_ids:
                    _check(
                        session, world.ids[who], [t for lang in LANGUAGES for t in _rendered(replies, lang)]
                    )
                new = session.exec(select(Notification).where(col(Notification.id) > seen)).all()
                for row in new:
                    if row.person_id in family_ids:
                        texts = [stored_text(row).render(lang) for lang in LANGUAGES]
                        _check(session, row.person_id, texts)
                seen = max([seen, *(row.id or 0 for row in new)])
    finally:
        engine.dispose()
