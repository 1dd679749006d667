"""The homework world (tests/support/homework.py) plus what attendance, status and broadcasts
need: an assistant teacher "a1" on group A1, classes 8A (class teacher "c1": p1, p2, p3) and 8B
(class teacher "c2": p4, p5, p6), and one lesson per group that began two hours ago."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import (
    Attendance,
    AuditLog,
    Broadcast,
    ChannelIdentity,
    Lesson,
    Membership,
    Notification,
    Person,
    SchoolClass,
    TutoringGroup,
)
from models.clock import utcnow
from models.store import session_scope
from tests.support.homework import World, build_world

ALMATY_OFFSET = timedelta(hours=5)
STAFF = {
    "a1": ("Сәуле Нұрова", "assistant"),
    "c1": ("Марат Әлиев", "class_teacher"),
    "c2": ("Ольга Ким", "class_teacher"),
}
CLASSES = {"8A": ("c1", ("p1", "p2", "p3")), "8B": ("c2", ("p4", "p5", "p6"))}


@dataclass
class StaffWorld(World):
    classes: dict[str, int] = field(default_factory=dict)
    lessons: dict[str, int] = field(default_factory=dict)
    lesson_date: date = field(default_factory=date.today)


def lesson_start(now: datetime) -> datetime:
    """Two hours ago, in Almaty wall-clock time, to the minute."""
    return (now + ALMATY_OFFSET - timedelta(hours=2)).replace(second=0, microsecond=0, tzinfo=None)


def build_staff_world(engine: Engine, media_dir: Path) -> StaffWorld:
    world = build_world(engine, media_dir)
    staff = StaffWorld(engine=world.engine, config=world.config, ids=world.ids, groups=world.groups)
    start = lesson_start(utcnow())
    staff.lesson_date = start.date()
    with session_scope(engine) as session:
        school_id = session.exec(select(Membership.school_id)).first()
        assert school_id is not None
        for name, (full_name, role) in STAFF.items():
            person = Person(external_id=name, full_name=full_name, locale="en", locale_chosen=True)
            session.add(person)
            session.flush()
            assert person.id is not None
            world.ids[name] = person.id
            session.add(ChannelIdentity(person_id=person.id, channel="telegram", address=name))
            if role == "assistant":
                session.add(Membership(person_id=person.id, role=role, school_id=school_id))
        for name, (teacher, pupils) in CLASSES.items():
            klass = SchoolClass(school_id=school_id, name=name, grade=8)
            session.add(klass)
            session.flush()
            assert klass.id is not None
            staff.classes[name] = klass.id
            session.add(
                Membership(
                    person_id=world.ids[teacher], role="class_teacher", school_id=school_id, class_id=klass.id
                )
            )
            for pupil in pupils:
                membership = session.exec(
                    select(Membership).where(
                        Membership.person_id == world.ids[pupil], Membership.role == "pupil"
                    )
                ).one()
                membership.class_id = klass.id
        group = session.get(TutoringGroup, world.groups["A1"])
        assert group is not None
        group.assistant_id = world.ids["a1"]
        for code, group_id in world.groups.items():
            lesson = Lesson(group_id=group_id, weekday=start.weekday(), start_time=start.time(), minutes=60)
            session.add(lesson)
            session.flush()
            assert lesson.id is not None
            staff.lessons[code] = lesson.id
    return staff


def chat_from(staff: StaffWorld, users: dict[str, int]) -> None:
    """People named in `users` chat from those Telegram user ids (for the emulator)."""
    with session_scope(staff.engine) as session:
        for identity in session.exec(select(ChannelIdentity)).all():
            name = next(n for n, i in staff.ids.items() if i == identity.person_id)
            if name in users:
                identity.address, identity.chat_id = str(users[name]), users[name]


def counts(engine: Engine) -> dict[str, int]:
    """How many rows each table a forbidden command could write holds."""
    with Session(engine) as session:
        result = {
            model.__name__: int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Attendance, Notification, Broadcast, AuditLog)
        }
        linked = session.exec(select(func.count()).where(SchoolClass.telegram_chat_id.is_not(None))).one()  # type: ignore[union-attr]
        result["linked"] = int(linked)
    return result
