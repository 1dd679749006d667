"""The homework world (tests/support/homework.py) with the rest of a school around it, for the
threads and problems: class 8А (pupils p1–p3) with its class teacher, an assistant teacher in group
A1, the school's coordinator, and lessons — A1 on Mondays and Wednesdays at 15:00, F1 on Tuesdays at
16:00 (Almaty time)."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import (
    ChannelIdentity,
    Lesson,
    Membership,
    Notification,
    Person,
    School,
    SchoolClass,
    Thread,
    ThreadMessage,
    TutoringGroup,
)
from models.store import session_scope
from outbox.write import stored_text
from sandbox.telegram_emulator.emulator import TelegramEmulator
from tests.support.homework import PEOPLE, World, build_world

ALMATY = ZoneInfo("Asia/Almaty")
STAFF = {
    # name: (full name, locale, role)
    "ct1": ("Сәуле Жұмабаева", "kk", "class_teacher"),
    "a1": ("Асқар Оспанов", "ru", "assistant"),
    "c1": ("Бауыржан Әбенов", "kk", "coordinator"),
}
CLASS_8A = ("p1", "p2", "p3")
LESSONS = {"A1": ((0, time(15, 0)), (2, time(15, 0))), "F1": ((1, time(16, 0)),)}
# A Wednesday at 11:00 in Almaty: A1 met on Monday, meets today at 15:00; F1 met yesterday.
WEDNESDAY = datetime(2026, 3, 18, 11, 0, tzinfo=ALMATY)


def build_school(engine: Engine, media_dir: Path, telegram_ids: dict[str, int] | None = None) -> World:
    world = build_world(engine, media_dir, telegram_ids)
    with session_scope(engine) as session:
        school = session.exec(select(School)).one()
        assert school.id is not None
        klass = SchoolClass(school_id=school.id, name="8А", grade=8)
        session.add(klass)
        session.flush()
        for name, (full_name, locale, role) in STAFF.items():
            person = Person(external_id=name, full_name=full_name, locale=locale, locale_chosen=True)
            session.add(person)
            session.flush()
            assert person.id is not None
            world.ids[name] = person.id
            class_id = klass.id if role == "class_teacher" else None
            session.add(Membership(person_id=person.id, role=role, school_id=school.id, class_id=class_id))
            user_id = (telegram_ids or {}).get(name)
            address = str(user_id) if user_id else name
            session.add(
                ChannelIdentity(person_id=person.id, channel="telegram", address=address, chat_id=user_id)
            )
        for pupil in CLASS_8A:
            membership = session.exec(
                select(Membership).where(Membership.person_id == world.ids[pupil])
            ).one()
            membership.class_id = klass.id
        group = session.get(TutoringGroup, world.groups["A1"])
        assert group is not None
        group.assistant_id = world.ids["a1"]
        for code, slots in LESSONS.items():
            for weekday, start in slots:
                session.add(
                    Lesson(group_id=world.groups[code], weekday=weekday, start_time=start, link="https://x")
                )
    return world


def threads(world: World) -> list[Thread]:
    with Session(world.engine) as session:
        return list(session.exec(select(Thread).order_by(col(Thread.id))).all())


def messages(world: World) -> list[ThreadMessage]:
    with Session(world.engine) as session:
        return list(session.exec(select(ThreadMessage).order_by(col(ThreadMessage.id))).all())


def to(world: World, who: str, kind: str | None = None) -> list[Notification]:
    """The outbox rows to one person (of one kind)."""
    return [n for n in world.outbox(kind) if n.person_id == world.ids[who]]


def rendered(notification: Notification, locale: str = "en") -> str:
    return stored_text(notification).render(locale)


def all_on_telegram(telegram: TelegramEmulator, telegram_ids: dict[str, int]) -> None:
    """Everyone of the school a user of the emulator, by their full name."""
    for name, user_id in telegram_ids.items():
        telegram.add_user(user_id, {**PEOPLE, **STAFF}[name][0])


def speaks(world: World, who: str, language: str) -> None:
    """The person reads `language` (as the roster has it)."""
    with session_scope(world.engine) as session:
        person = session.get(Person, world.ids[who])
        assert person is not None
        person.locale = language
        session.add(person)
