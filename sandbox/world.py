"""A made-up district, written straight into the store with bulk INSERTs, for the dashboard's
benchmark (`bench.dashboard_pages`) and the district screenshots: schools of pupils in classes of
25, each pupil in two Digital Tutor groups of four (two lessons a week each), a parent per pupil,
tutors, assistant teachers, class teachers, a coordinator per school and one district coordinator;
then a term of what happens comes from `sandbox.term`.

Deterministic for a seed; nothing here goes through the handlers (their own tests do that).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, TypeVar

from sqlalchemy import Engine, insert
from sqlmodel import col, select

from models import (
    ChannelIdentity,
    DistrictCoordinator,
    GroupMember,
    Guardianship,
    Lesson,
    Membership,
    Person,
    Programme,
    School,
    SchoolClass,
    TutoringGroup,
)
from models.clock import utcnow
from models.enums import Role
from models.store import session_scope

CHUNK = 5_000
CLASS_SIZE = 25
GROUP_SIZE = 4
GROUPS_PER_TUTOR = 8
GROUPS_PER_ASSISTANT = 16
SUBJECT_PAIRS = (("algebra", "physics"), ("geometry", "chemistry"), ("biology", "history_kz"))
LETTERS = "АӘБВГДЕЖЗИ"
REGION = "Ақмола облысы"
DISTRICT = "Шортанды ауданы"
T = TypeVar("T")


def chunks(rows: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass
class World:
    schools: list[int] = field(default_factory=list)
    coordinators: list[int] = field(default_factory=list)
    district: int = 0
    assistants: dict[int, str] = field(default_factory=dict)  # person id → their Telegram address
    pupils: int = 0


def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk INSERT … RETURNING id, in chunks, in order."""
    ids: list[int] = []
    for part in chunks(rows):
        ids += [
            int(i)
            for i in session.execute(
                insert(model).returning(col(model.id), sort_by_parameter_order=True), list(part)
            ).scalars()
        ]
    return ids


def _insert_plain(session: Any, model: Any, rows: Iterable[dict[str, Any]]) -> int:
    written = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            session.execute(insert(model), batch)
            written += len(batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
        written += len(batch)
    return written


def build_district(engine: Engine, schools: int, pupils_per_school: int, *, prefix: str = "D") -> World:
    """`schools` schools of `pupils_per_school` pupils each in one district, with its coordinator."""
    world = World()
    now = utcnow()
    with session_scope(engine) as session:
        programme = session.exec(select(Programme).where(Programme.code == "digital-tutor")).first()
        if programme is None:
            programme = Programme(code="digital-tutor", name="Цифрлық ұстаз")
            session.add(programme)
            session.flush()
        programme_id = programme.id
        world.district = _insert(
            session,
            Person,
            [{"external_id": f"{prefix}-DIST", "full_name": "Аудандық білім бөлімі", "created_at": now}],
        )[0]
        session.execute(
            insert(DistrictCoordinator),
            [{"person_id": world.district, "region": REGION, "district": DISTRICT}],
        )
        _identities(session, [world.district], "telegram", 900_000_000)
        for number in range(1, schools + 1):
            _school(session, world, number, pupils_per_school, programme_id, prefix, now)
    return world


def _identities(session: Any, people: Sequence[int], channel: str, base: int) -> None:
    session.execute(
        insert(ChannelIdentity),
        [
            {
                "person_id": pid,
                "channel": channel,
                "address": str(base + pid),
                "chat_id": base + pid,
                "created_at": utcnow(),
            }
            for pid in people
        ],
    )


def _school(
    session: Any, world: World, number: int, pupils: int, programme_id: int | None, prefix: str, now: datetime
) -> None:
    code = f"{prefix}{number:03d}"
    school_id = _insert(
        session,
        School,
        [
            {
                "code": code,
                "name": f"Шортанды ауданының №{number} мектебі",
                "locality": "Шортанды ауданы",
                "postal_point": "Қазпошта, Шортанды бөлімшесі",
                "day_start": time(8, 0),
                "day_end": time(14, 30),
                "region": REGION,
                "district": DISTRICT,
            }
        ],
    )[0]
    world.schools.append(school_id)
    class_count = max(1, -(-pupils // CLASS_SIZE))
    class_ids = _insert(
        session,
        SchoolClass,
        [
            {
                "school_id": school_id,
                "name": f"{8 + k % 4}{LETTERS[(k // 4) % len(LETTERS)]}{'' if k < 40 else k // 40}",
                "grade": 8 + k % 4,
            }
            for k in range(class_count)
        ],
    )
    people = [
        {"external_id": f"{code}-C", "full_name": f"Үйлестіруші {number}", "phone": None},
        *(
            {"external_id": f"{code}-T{k}", "full_name": f"Сынып жетекшісі {number}-{k}", "phone": None}
            for k in range(class_count)
        ),
    ]
    groups_per_class: list[int] = []
    for k in range(class_count):
        size = min(CLASS_SIZE, pupils - k * CLASS_SIZE)
        groups_per_class.append(2 * -(-size // GROUP_SIZE))
    group_total = sum(groups_per_class)
    tutors = max(1, -(-group_total // GROUPS_PER_TUTOR))
    assistants = max(1, -(-group_total // GROUPS_PER_ASSISTANT))
    people += [
        {"external_id": f"{code}-U{k}", "full_name": f"Цифрлық ұстаз {number}-{k}", "phone": None}
        for k in range(tutors)
    ]
    people += [
        {"external_id": f"{code}-A{k}", "full_name": f"Мұғалім-ассистент {number}-{k}", "phone": None}
        for k in range(assistants)
    ]
    first_pupil = len(people)
    for n in range(pupils):
        people.append(
            {"external_id": f"{code}-P{n}", "full_name": f"Оқушы {_surname(n)} {number}-{n}", "phone": None}
        )
    first_parent = len(people)
    for n in range(pupils):
        people.append(
            {
                "external_id": f"{code}-G{n}",
                "full_name": f"Ата-ана {_surname(n)} {number}-{n}",
                "phone": f"+77{number % 1000:03d}{n:06d}",
            }
        )
    ids = _insert(
        session, Person, [{**p, "created_at": now, "by_post": False, "locale_chosen": True} for p in people]
    )
    coordinator, teachers = ids[0], ids[1 : 1 + class_count]
    tutor_ids = ids[1 + class_count : 1 + class_count + tutors]
    assistant_ids = ids[1 + class_count + tutors : first_pupil]
    pupil_ids, parent_ids = ids[first_pupil:first_parent], ids[first_parent:]
    world.coordinators.append(coordinator)
    world.pupils += pupils
    memberships = [
        {"person_id": coordinator, "role": Role.COORDINATOR.value, "school_id": school_id, "class_id": None}
    ]
    memberships += [
        {"person_id": t, "role": Role.CLASS_TEACHER.value, "school_id": school_id, "class_id": class_ids[k]}
        for k, t in enumerate(teachers)
    ]
    memberships += [
        {"person_id": t, "role": Role.TUTOR.value, "school_id": school_id, "class_id": None}
        for t in tutor_ids
    ]
    memberships += [
        {"person_id": a, "role": Role.ASSISTANT.value, "school_id": school_id, "class_id": None}
        for a in assistant_ids
    ]
    memberships += [
        {
            "person_id": p,
            "role": Role.PUPIL.value,
            "school_id": school_id,
            "class_id": class_ids[n // CLASS_SIZE],
        }
        for n, p in enumerate(pupil_ids)
    ]
    memberships += [
        {"person_id": g, "role": Role.GUARDIAN.value, "school_id": school_id, "class_id": None}
        for g in parent_ids
    ]
    _insert_plain(session, Membership, memberships)
    _insert_plain(
        session,
        Guardianship,
        ({"guardian_id": g, "pupil_id": p} for p, g in zip(pupil_ids, parent_ids, strict=True)),
    )
    staff = [coordinator, *teachers, *tutor_ids, *assistant_ids]
    _identities(session, staff, "telegram", 800_000_000)
    world.assistants.update({a: str(800_000_000 + a) for a in assistant_ids})
    rng = random.Random(number)
    channels: list[dict[str, Any]] = []
    for n, (pupil, parent) in enumerate(zip(pupil_ids, parent_ids, strict=True)):
        phone = people[first_parent + n]["phone"]
        kind = rng.random()
        if n % 3 == 0:
            channels.append(_telegram(pupil, 810_000_000, now))
        if kind < 0.04:  # on post: no chat channel at all
            channels.append(
                {
                    "person_id": parent,
                    "channel": "post",
                    "address": f"{code}: Шортанды кенті, {n}-үй",
                    "created_at": now,
                }
            )
            continue
        if kind < 0.07:  # a landline: SMS only, and it cannot take them
            channels.append(
                {"person_id": parent, "channel": "sms", "address": phone, "priority": 1, "created_at": now}
            )
            continue
        if kind < 0.55:
            channels.append({**_telegram(parent, 820_000_000, now), "priority": 0})
        channels.append(
            {"person_id": parent, "channel": "whatsapp", "address": phone, "priority": 1, "created_at": now}
        )
        channels.append(
            {
                "person_id": parent,
                "channel": "sms",
                "address": phone,
                "priority": 2,
                "created_at": now,
                "opted_out_at": now if kind > 0.97 else None,
            }
        )
    _insert_plain(session, ChannelIdentity, channels)
    group_rows: list[dict[str, Any]] = []
    members: list[tuple[int, list[int]]] = []
    group_number = 0
    for k, class_id in enumerate(class_ids):
        in_class = pupil_ids[k * CLASS_SIZE : (k + 1) * CLASS_SIZE]
        subjects = SUBJECT_PAIRS[k % len(SUBJECT_PAIRS)]
        for s, subject in enumerate(subjects):
            ordered = in_class if s == 0 else in_class[GROUP_SIZE // 2 :] + in_class[: GROUP_SIZE // 2]
            for start in range(0, len(ordered), GROUP_SIZE):
                chunk = ordered[start : start + GROUP_SIZE]
                if len(chunk) < 3 and members and members[-1][1] and len(members[-1][1]) + len(chunk) <= 5:
                    members[-1][1].extend(chunk)
                    continue
                group_rows.append(
                    {
                        "code": f"{code}-{group_number:04d}",
                        "programme_id": programme_id,
                        "school_id": school_id,
                        "subject": subject,
                        "tutor_id": tutor_ids[group_number // GROUPS_PER_TUTOR % len(tutor_ids)],
                        "assistant_id": assistant_ids[
                            group_number // GROUPS_PER_ASSISTANT % len(assistant_ids)
                        ],
                    }
                )
                members.append((class_id, list(chunk)))
                group_number += 1
    group_ids = _insert(session, TutoringGroup, group_rows)
    _insert_plain(
        session,
        GroupMember,
        (
            {"group_id": g, "pupil_id": p}
            for g, (_c, pupils_in) in zip(group_ids, members, strict=True)
            for p in pupils_in
        ),
    )
    _insert_plain(
        session,
        Lesson,
        (
            {
                "group_id": g,
                "weekday": (index + day) % 5,
                "start_time": time(15 + index % 3, 0),
                "minutes": 60,
                "link": "https://meet.example/room",
                "active": True,
            }
            for index, g in enumerate(group_ids)
            for day in (0, 2)
        ),
    )


def _telegram(person: int, base: int, now: datetime) -> dict[str, Any]:
    return {
        "person_id": person,
        "channel": "telegram",
        "address": str(base + person),
        "chat_id": base + person,
        "created_at": now,
    }


SURNAMES = ("Ахметов", "Серікова", "Жұмабаев", "Қасымова", "Нұрланов", "Иванова", "Оспанов", "Мұқанова")


def _surname(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)]
