"""Weekly digest: a week of digests for a 400-pupil school, made as the scheduler makes them on a
Sunday evening (`scheduler.digest.derive_digests`: read the week in bulk, build each family's text,
write one outbox row per family through `enqueue`, mark the week done), in one transaction.

The school: 400 pupils of grades 8–11, each in two of the six subjects (160 groups of four or
five, two lessons a week each); 360 families (40 parents with two children), nine in ten in a chat;
every pupil with consent. The week: each group had two homework due and has one due next week; most
pupils handed most of it in, half of that is graded; every lesson is marked (one in ten absent);
some lessons of next week are cancelled. Each run makes the week's digests and rolls back, so every
run does the whole work. Target < 5 s.

    uv run --frozen python -m bench.digest [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from itertools import combinations
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from bench.common import engine_name, machine, scratch_database, temporary_folder
from models import (
    Attendance,
    ChannelIdentity,
    Consent,
    Feedback,
    GroupMember,
    Guardianship,
    Homework,
    Lesson,
    LessonChange,
    Notification,
    Person,
    Programme,
    Submission,
    TutoringGroup,
)
from models.migrate import upgrade
from models.school import DIGITAL_TUTOR_SUBJECTS
from models.store import make_engine, session_scope
from scheduler.digest import DigestOptions, build, derive_digests

ALMATY = ZoneInfo("Asia/Almaty")
MOMENT = datetime(2026, 11, 29, 19, 0, tzinfo=ALMATY)  # a Sunday evening
MONDAY = MOMENT.date() - timedelta(days=6)
PUPILS = 400
GROUP_SIZE = 5
SHARED_PARENTS = 40  # parents with two children
CHATS = 1_000_000  # Telegram chat ids of the parents
SLOTS = [clock_time(15, 0), clock_time(16, 30), clock_time(18, 0)]


def seed(engine: Engine) -> int:
    """The school and its week; the number of families."""
    rng = random.Random(7)
    with session_scope(engine) as session:
        programme = Programme(code="digital-tutor", name="Цифрлық ұстаз")
        session.add(programme)
        session.flush()
        people = session.execute(
            insert(Person).returning(col(Person.id)),
            [{"external_id": f"p{n}", "full_name": f"Оқушы {n}", "locale": "kk"} for n in range(PUPILS)]
            + [{"external_id": f"t{n}", "full_name": f"Ұстаз {n}", "locale": "kk"} for n in range(20)],
        ).scalars()
        ids = list(people)
        pupils, tutors = ids[:PUPILS], ids[PUPILS:]
        families = PUPILS - SHARED_PARENTS
        parents = list(
            session.execute(
                insert(Person).returning(col(Person.id)),
                [
                    {"external_id": f"g{n}", "full_name": f"Ата-ана {n}", "locale": "ru"}
                    for n in range(families)
                ],
            ).scalars()
        )
        # Every parent but one in ten is in a chat (Telegram); the others have not joined.
        session.execute(
            insert(ChannelIdentity),
            [
                {"person_id": parent, "channel": "telegram", "address": str(CHATS + n), "chat_id": CHATS + n}
                for n, parent in enumerate(parents)
                if n % 10
            ],
        )
        links = [(parents[n if n < families else n - families], pupil) for n, pupil in enumerate(pupils)]
        session.execute(insert(Guardianship), [{"guardian_id": g, "pupil_id": p} for g, p in links])
        decided = MOMENT - timedelta(days=60)
        session.execute(
            insert(Consent),
            [
                {"guardian_id": g, "pupil_id": p, "text_version": "v1", "given": True, "channel": "telegram"}
                | {"decided_at": decided}
                for g, p in links
            ],
        )
        # Each pupil takes two subjects; each subject's pupils split into groups of four or five.
        pairs = list(combinations(DIGITAL_TUTOR_SUBJECTS, 2))
        taking: dict[str, list[int]] = {subject: [] for subject in DIGITAL_TUTOR_SUBJECTS}
        for n, pupil in enumerate(pupils):
            for subject in pairs[n % len(pairs)]:
                taking[subject].append(pupil)
        members: dict[int, list[int]] = {}
        for subject, who in taking.items():
            count = -(-len(who) // GROUP_SIZE)
            for number in range(count):
                group = TutoringGroup(
                    code=f"{subject}-{number}",
                    programme_id=programme.id or 0,
                    subject=subject,
                    tutor_id=tutors[len(members) % len(tutors)],
                )
                session.add(group)
                session.flush()
                members[group.id or 0] = who[number::count]
        session.execute(
            insert(GroupMember), [{"group_id": g, "pupil_id": p} for g, who in members.items() for p in who]
        )
        week = [MONDAY + timedelta(days=d) for d in range(7)]
        attendance, homework_rows = [], []
        for index, (group_id, who) in enumerate(members.items()):
            days = (index % 5, (index % 5 + 2) % 5)
            for weekday in days:
                lesson = Lesson(
                    group_id=group_id, weekday=weekday, start_time=SLOTS[index % 3], link="https://meet/x"
                )
                session.add(lesson)
                session.flush()
                attendance += [
                    {
                        "lesson_id": lesson.id,
                        "on_date": week[weekday],
                        "pupil_id": p,
                        "status": "absent" if rng.random() < 0.1 else "present",
                        "marked_at": MOMENT - timedelta(days=1),
                    }
                    for p in who
                ]
                if index % 40 == 0:
                    session.add(
                        LessonChange(
                            lesson_id=lesson.id or 0,
                            on_date=week[weekday] + timedelta(days=7),
                            cancelled=True,
                        )
                    )
            for due in (MOMENT - timedelta(days=5), MOMENT - timedelta(days=2), MOMENT + timedelta(days=3)):
                homework_rows.append(
                    {
                        "group_id": group_id,
                        "text": f"§{index} {due:%d.%m}",
                        "due_at": due,
                        "kind": "formative",
                        "scored": True,
                        "created_at": due - timedelta(days=3),
                    }
                )
        session.execute(insert(Attendance), attendance)
        session.execute(insert(Homework), homework_rows)
        for homework in session.exec(select(Homework).where(Homework.due_at < MOMENT)).all():
            for pupil in members[homework.group_id]:
                if rng.random() < 0.8:
                    handed = homework.due_at - timedelta(hours=rng.randint(-20, 30))
                    graded = rng.random() < 0.5
                    submission = Submission(
                        homework_id=homework.id or 0,
                        pupil_id=pupil,
                        submitted_at=handed,
                        late=handed > homework.due_at,
                        channel="telegram",
                        status="graded" if graded else "submitted",
                    )
                    session.add(submission)
                    if graded:
                        session.flush()
                        marked_at = min(handed + timedelta(hours=20), MOMENT - timedelta(minutes=5))
                        score = rng.randint(5, 10)
                        feedback = Feedback(
                            submission_id=submission.id or 0,
                            text="Жақсы",
                            formative_score=score,
                            created_at=marked_at,
                        )
                        session.add(feedback)
    return families


def timed(engine: Engine, work: str) -> tuple[float, int]:
    """One run of `build` or `derive_digests`, rolled back; seconds and digests made."""
    with Session(engine) as session:
        started = time.perf_counter()
        if work == "build":
            made = len(build(session, MOMENT, ALMATY))
        else:
            made = derive_digests(session, DigestOptions(ALMATY), MOMENT + timedelta(minutes=1))
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    runs = 2 if args.quick else 5
    with temporary_folder() as folder, scratch_database(folder) as db_url:
        engine = make_engine(db_url)
        upgrade(engine)
        families = seed(engine)
        built = [timed(engine, "build") for _ in range(runs)]
        derived = [timed(engine, "derive") for _ in range(runs)]
        with Session(engine) as session:
            assert session.exec(select(Notification)).first() is None  # every run rolled back
        engine.dispose()
    print(f"weekly digest ({engine_name(db_url)}; {machine()})")
    print(f"  {PUPILS} pupils, {families} families, {runs} runs each")
    print(
        f"  build the week's texts: median {statistics.median(t for t, _ in built):.2f} s "
        f"({built[0][1]} digests)"
    )
    print(
        f"  the scheduler's whole run (build, enqueue one row per family, mark the week): median "
        f"{statistics.median(t for t, _ in derived):.2f} s, slowest {max(t for t, _ in derived):.2f} s "
        f"({derived[0][1]} rows)   (target < 5 s)"
    )


if __name__ == "__main__":
    main()
