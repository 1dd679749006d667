"""A small tutoring world for the homework and review flows, and a way to talk to the handlers.

Two tutors, each with a group of three pupils; pupils p1 and p2 of group A1 have a parent's consent
(p1's parent chats in Russian), p3 has none. Everyone has a Telegram identity whose address is their
name here ("t1", "p1", "g1", …) and has chosen a language already.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.context import Config
from handlers.router import process
from handlers.types import Chat, Identity, Inbound, Reply, Upload
from models import (
    ChannelIdentity,
    Consent,
    GroupMember,
    Guardianship,
    Homework,
    Membership,
    Notification,
    Person,
    Programme,
    School,
    TutoringGroup,
)
from models.clock import utcnow
from models.enums import HomeworkKind
from models.store import session_scope
from settings import Settings


@dataclass
class World:
    engine: Engine
    config: Config
    ids: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)

    def say(self, who: str, text: str = "", **kw: object) -> list[Reply]:
        inbound = Inbound(identity=Identity("telegram", who), chat=Chat(who), text=text, **kw)  # type: ignore[arg-type]
        return process(self.engine, inbound, self.config)

    def press(self, who: str, value: str) -> list[Reply]:
        return self.say(who, choice=value)

    def photos(self, who: str, *images: bytes, album: str | None = None, text: str = "") -> list[Reply]:
        uploads = tuple(Upload(data=data, content_type="image/jpeg", size=len(data)) for data in images)
        return self.say(who, text, uploads=uploads, album_id=album)

    def document(self, who: str, data: bytes, filename: str, content_type: str, size: int = 0) -> list[Reply]:
        upload = Upload(
            data=data, content_type=content_type, filename=filename, as_document=True, size=size or len(data)
        )
        return self.say(who, uploads=(upload,))

    def outbox(self, kind: str | None = None) -> list[Notification]:
        with Session(self.engine) as session:
            query = select(Notification).order_by(col(Notification.id))
            if kind:
                query = query.where(Notification.kind == kind)
            return list(session.exec(query).all())

    def homework(
        self,
        group: str = "A1",
        text: str = "Page 42, tasks 1-5",
        *,
        due: datetime | None = None,
        kind: HomeworkKind = HomeworkKind.FORMATIVE,
        scored: bool = True,
        max_points: int | None = None,
    ) -> int:
        """Homework set directly in the store (the conversation that sets it has its own tests)."""
        with session_scope(self.engine) as session:
            homework = Homework(
                group_id=self.groups[group],
                tutor_id=self.ids["t1" if group == "A1" else "t2"],
                text=text,
                kind=kind,
                scored=scored,
                max_points=max_points,
                due_at=due or utcnow() + timedelta(days=2),
            )
            session.add(homework)
            session.flush()
            assert homework.id is not None
            return homework.id


def keys(replies: list[Reply]) -> list[str]:
    return [reply.text.key for reply in replies]


def page_image(colour: str = "white", size: tuple[int, int] = (720, 960), gps: bool = True) -> bytes:
    """A JPEG "photo of a page" a tutor can read — lines of dark strokes on paper tinted by `colour`
    (so pages of different colours differ) — with a phone's EXIF (maker, GPS) unless told otherwise."""
    image = Image.new("RGB", size, ImageColor.getrgb(colour))
    image = Image.blend(image, Image.new("RGB", size, "white"), 0.7)
    draw = ImageDraw.Draw(image)
    width, height = size
    for row, top in enumerate(range(height // 12, height - height // 12, max(height // 16, 4))):
        for left in range(width // 12, width - width // 12, max(width // 24, 4)):
            if (left // 7 + row) % 5:
                draw.rectangle(
                    (left, top, left + max(width // 60, 1), top + max(height // 40, 1)), fill=(20, 20, 40)
                )
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"
        exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 54.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def pixel_bomb() -> bytes:
    """A small PNG that claims 30000 × 30000 pixels."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG", optimize=True)
    return out.getvalue()


PEOPLE = {
    # name: (full name, locale, role)
    "t1": ("Тимур Ахметов", "kk", "tutor"),
    "t2": ("Дана Омарова", "kk", "tutor"),
    "p1": ("Нұрлан Сейітов", "kk", "pupil"),
    "p2": ("Аружан Бекова", "en", "pupil"),
    "p3": ("Ерлан Касымов", "kk", "pupil"),
    "p4": ("Мадина Нурова", "kk", "pupil"),
    "p5": ("Алихан Жумабаев", "kk", "pupil"),
    "p6": ("Самат Ильясов", "kk", "pupil"),
    "g1": ("Айгүл Сейітова", "ru", "guardian"),
    "g2": ("Бота Бекова", "kk", "guardian"),
    "g3": ("Гүлнар Касымова", "kk", "guardian"),
}
GUARDIANS = {"g1": "p1", "g2": "p2", "g3": "p3"}
CONSENTED = ("p1", "p2", "p4", "p5", "p6")
GROUPS = {"A1": ("algebra", "t1", ("p1", "p2", "p3")), "F1": ("physics", "t2", ("p4", "p5", "p6"))}


def build_world(engine: Engine, media_dir: Path, telegram_ids: dict[str, int] | None = None) -> World:
    """With `telegram_ids`, people chat from those Telegram user ids (for the emulator)."""
    world = World(engine=engine, config=replace(Config.from_settings(Settings()), media_dir=media_dir))
    with session_scope(engine) as session:
        programme = Programme(code="dt", name="Digital Tutor")
        school = School(code="s1", name="№1 мектеп")
        session.add_all([programme, school])
        session.flush()
        assert programme.id is not None and school.id is not None
        for name, (full_name, locale, role) in PEOPLE.items():
            person = Person(external_id=name, full_name=full_name, locale=locale, locale_chosen=True)
            session.add(person)
            session.flush()
            assert person.id is not None
            world.ids[name] = person.id
            session.add(Membership(person_id=person.id, role=role, school_id=school.id))
            user_id = (telegram_ids or {}).get(name)
            session.add(
                ChannelIdentity(
                    person_id=person.id,
                    channel="telegram",
                    address=str(user_id) if user_id else name,
                    chat_id=user_id,
                )
            )
        for guardian, pupil in GUARDIANS.items():
            session.add(Guardianship(guardian_id=world.ids[guardian], pupil_id=world.ids[pupil]))
        for pupil in CONSENTED:
            guardian = next((g for g, p in GUARDIANS.items() if p == pupil), "g1")
            session.add(
                Consent(
                    guardian_id=world.ids[guardian],
                    pupil_id=world.ids[pupil],
                    text_version="1",
                    given=True,
                    channel="telegram",
                )
            )
        for code, (subject, tutor, pupils) in GROUPS.items():
            group = TutoringGroup(
                code=code,
                programme_id=programme.id,
                school_id=school.id,
                subject=subject,
                tutor_id=world.ids[tutor],
            )
            session.add(group)
            session.flush()
            assert group.id is not None
            world.groups[code] = group.id
            for pupil in pupils:
                session.add(GroupMember(group_id=group.id, pupil_id=world.ids[pupil]))
    return world
