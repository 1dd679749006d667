"""The sample school as the sandbox page shows it: people by role, each class's group chat in the
Telegram emulator, and what joining a person as themselves takes (an invite code or the roster's phone)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.enums import Channel, Role
from models.people import ChannelIdentity, Guardianship, Invite, Membership, Person
from models.school import SchoolClass
from models.store import session_scope, stored_id

USER_BASE = 880_000_000  # emulator user id = USER_BASE + person id
GROUP_BASE = -1_000_000_000_000  # emulator group id = GROUP_BASE - class id
ROLE_ORDER = (Role.PUPIL, Role.GUARDIAN, Role.TUTOR, Role.ASSISTANT, Role.CLASS_TEACHER, Role.COORDINATOR)


@dataclass(frozen=True)
class Someone:
    id: int
    name: str
    locale: str
    classes: tuple[str, ...]


@dataclass(frozen=True)
class JoinInfo:
    name: str
    locale: str
    joined: bool
    invite: str | None
    phone: str | None
    class_chats: tuple[int, ...]


def people_by_role(engine: Engine) -> dict[str, list[Someone]]:
    with Session(engine) as session:
        classes = {c.id: c.name for c in session.exec(select(SchoolClass)).all()}
        rows = session.exec(
            select(Membership, Person)
            .where(col(Membership.person_id) == col(Person.id))
            .order_by(col(Person.full_name))
        ).all()
    grouped: dict[str, dict[int, Someone]] = {role.value: {} for role in ROLE_ORDER}
    for membership, person in rows:
        person_id = stored_id(person)
        bucket = grouped.setdefault(membership.role, {})
        known = bucket.get(person_id)
        names = known.classes if known else ()
        if membership.class_id in classes and classes[membership.class_id] not in names:
            names = (*names, classes[membership.class_id])
        bucket[person_id] = Someone(person_id, person.full_name, person.locale, names)
    return {role: list(people.values()) for role, people in grouped.items() if people}


def class_chats(engine: Engine) -> list[tuple[int, str]]:
    """(emulator group id, class name) for every class; links a class that has no chat yet."""
    with session_scope(engine) as session:
        found = []
        for school_class in session.exec(select(SchoolClass).order_by(col(SchoolClass.name))).all():
            if school_class.telegram_chat_id is None:
                school_class.telegram_chat_id = GROUP_BASE - stored_id(school_class)
            found.append((school_class.telegram_chat_id, school_class.name))
        return found


def join_info(engine: Engine, person_id: int) -> JoinInfo:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        if person is None:
            raise KeyError(person_id)
        joined = session.exec(
            select(ChannelIdentity.id).where(
                ChannelIdentity.person_id == person_id,
                ChannelIdentity.channel == Channel.TELEGRAM.value,
                ChannelIdentity.address == str(USER_BASE + person_id),
            )
        ).first()
        invite = session.exec(
            select(Invite.code)
            .where(Invite.person_id == person_id, col(Invite.used_at).is_(None))
            .order_by(col(Invite.id).desc())
        ).first()
        pupils = set(session.exec(select(Guardianship.pupil_id).where(Guardianship.guardian_id == person_id)))
        class_ids = set(
            session.exec(
                select(Membership.class_id).where(
                    col(Membership.person_id).in_({person_id, *pupils}), col(Membership.class_id).is_not(None)
                )
            )
        )
        chats = session.exec(
            select(SchoolClass.telegram_chat_id).where(
                col(SchoolClass.id).in_(class_ids), col(SchoolClass.telegram_chat_id).is_not(None)
            )
        ).all()
        return JoinInfo(
            name=person.full_name,
            locale=person.locale,
            joined=joined is not None,
            invite=invite,
            phone=person.phone,
            class_chats=tuple(int(c) for c in chats if c is not None),
        )


def phone_of(engine: Engine, person_id: int) -> str:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        if person is None or not person.phone:
            raise web.HTTPNotFound()
        return person.phone
