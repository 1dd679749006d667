"""A second quarter of the sample school small enough to count by hand, for the overview's tests.

Now is Thursday 3 December 2026, 12:00 in Almaty: the 2nd quarter of 2026–2027 (2 November –
27 December, holidays to 7 January). Group ALG-8 (algebra, lessons Monday and Wednesday 15:00,
60 minutes) holds p1 … p5 (the roster's SH2-P01, P03, P05, P07, P09):

* consent: p1, p2, p3 given in October; p4 given, then withdrawn on 20 November; nobody else's;
* attendance (Monday lessons): 9 Nov p1 present, p2 late, p3 absent, p4 present, p5 absent;
  16 Nov p1 present, p2 present, p3 absent, p4 absent, p5 present; and one mark in the 1st quarter
  (19 Oct, p1 absent) that the 2nd quarter leaves out. The lesson of 23 November was cancelled;
* homework: H1 due 13 Nov 18:00, H2 due 27 Nov, H3 due 10 Dec (not yet due); the entry diagnostic E
  (20 points) due 10 Sep, the final F (20 points) due 25 Nov;
* work: H1 p1 on time (8/10), p2 late (6/10), p3 on time (not graded yet); H2 p1 on time (7, then
  corrected to 10), p5 on time (4/10); E p1 10/20, p2 12/20; F p1 16/20 (mark 4), p2 13/20 (mark 4),
  both on time.

By hand, for the school's coordinator over the quarter: 40 pupils, 3 with consent (7.5 %);
attendance 6 of 10 marks (60 %: 5 present, 1 late, 4 absent); work due 15 (H1, H2, F × 5), 6 on
time (40 %), 1 late, 8 missing; average formative score (8 + 6 + 10 + 4) / 4 = 7.0; growth
p1 +30, p2 +5 → +17.5 over 2 pupils.

`explain` adds what families reported of those absences, and `open_threads` threads waiting for an
answer (both for the tests of what families tell the school, `tests/monitoring/test_overview_families.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.enums import Role, Topic
from models.homework import Feedback, Homework, Submission
from models.people import Consent, Guardianship, Membership, Person
from models.school import SchoolClass, TutoringGroup
from models.store import session_scope
from models.threads import Thread, ThreadMessage
from models.timetable import Attendance, Lesson, LessonChange
from roster import import_roster

SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
ZONE = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
NOV_9, NOV_16 = date(2026, 11, 9), date(2026, 11, 16)
PUPILS = {"p1": "SH2-P01", "p2": "SH2-P03", "p3": "SH2-P05", "p4": "SH2-P07", "p5": "SH2-P09"}


def local(day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


@dataclass
class Term:
    engine: Engine
    coordinator: int
    group: int
    tutor: int
    teacher_9b: int
    pupils: dict[str, int] = field(default_factory=dict)
    parents: dict[str, list[int]] = field(default_factory=dict)
    homework: dict[str, int] = field(default_factory=dict)


def build_term(engine: Engine) -> Term:
    assert import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30)).ok
    with session_scope(engine) as session:
        ids = {p.external_id: p.id for p in session.exec(select(Person)).all()}
        pupils = {name: int(ids[code] or 0) for name, code in PUPILS.items()}
        group = session.exec(select(TutoringGroup).where(TutoringGroup.code == "ALG-8")).one()
        monday = session.exec(select(Lesson).where(Lesson.group_id == group.id, Lesson.weekday == 0)).one()
        parents = {
            name: list(
                session.exec(select(Guardianship.guardian_id).where(Guardianship.pupil_id == pid)).all()
            )
            for name, pid in pupils.items()
        }
        for name in ("p1", "p2", "p3", "p4"):
            session.add(
                Consent(
                    guardian_id=parents[name][0],
                    pupil_id=pupils[name],
                    text_version="v1",
                    given=True,
                    decided_at=local(date(2026, 10, 5), 19),
                    withdrawn_at=local(date(2026, 11, 20), 9) if name == "p4" else None,
                    channel="telegram",
                )
            )
        marks = {
            date(2026, 10, 19): {"p1": "absent"},
            date(2026, 11, 9): {
                "p1": "present",
                "p2": "late",
                "p3": "absent",
                "p4": "present",
                "p5": "absent",
            },
            date(2026, 11, 16): {
                "p1": "present",
                "p2": "present",
                "p3": "absent",
                "p4": "absent",
                "p5": "present",
            },
        }
        for day, statuses in marks.items():
            for name, status in statuses.items():
                session.add(
                    Attendance(lesson_id=monday.id, on_date=day, pupil_id=pupils[name], status=status)
                )
        session.add(LessonChange(lesson_id=monday.id or 0, on_date=date(2026, 11, 23), cancelled=True))
        works = {
            "H1": Homework(group_id=group.id or 0, text="Тапсырма 1", due_at=local(date(2026, 11, 13))),
            "H2": Homework(group_id=group.id or 0, text="Тапсырма 2", due_at=local(date(2026, 11, 27))),
            "H3": Homework(group_id=group.id or 0, text="Тапсырма 3", due_at=local(date(2026, 12, 10))),
            "E": Homework(
                group_id=group.id or 0,
                text="Кіріс диагностикасы",
                kind="diagnostic",
                label="entry",
                max_points=20,
                due_at=local(date(2026, 9, 10)),
            ),
            "F": Homework(
                group_id=group.id or 0,
                text="Қорытынды диагностика",
                kind="diagnostic",
                label="final",
                max_points=20,
                due_at=local(date(2026, 11, 25)),
            ),
        }
        session.add_all(works.values())
        session.flush()

        def work(key: str, name: str, late: bool = False, **feedback: object) -> None:
            due = works[key].due_at
            submission = Submission(
                homework_id=works[key].id or 0,
                pupil_id=pupils[name],
                status="graded" if feedback else "submitted",
                late=late,
                channel="telegram",
                submitted_at=due + timedelta(hours=3) if late else due - timedelta(hours=5),
            )
            session.add(submission)
            session.flush()
            corrections = feedback.pop("corrected_from", None)
            if corrections is not None:
                session.add(
                    Feedback(
                        submission_id=submission.id or 0,
                        formative_score=int(str(corrections)),
                        created_at=due + timedelta(days=1),
                    )
                )
                session.flush()
            if feedback:
                session.add(
                    Feedback(
                        submission_id=submission.id or 0,
                        created_at=due + timedelta(days=1, hours=2),
                        **feedback,
                    )  # type: ignore[arg-type]
                )

        work("H1", "p1", formative_score=8, text="Жақсы")
        work("H1", "p2", late=True, formative_score=6)
        work("H1", "p3")
        work("H2", "p1", formative_score=10, corrected_from=7)
        work("H2", "p5", formative_score=4)
        work("E", "p1", points=10.0, max_points=20, mark=3)
        work("E", "p2", points=12.0, max_points=20, mark=3)
        work("F", "p1", points=16.0, max_points=20, mark=4)
        work("F", "p2", points=13.0, max_points=20, mark=4)
        coordinator = session.exec(
            select(Membership.person_id).where(Membership.role == Role.COORDINATOR.value)
        ).first()
        teacher = session.exec(
            select(Membership.person_id)
            .join(SchoolClass, col(SchoolClass.id) == col(Membership.class_id))
            .where(Membership.role == Role.CLASS_TEACHER.value, SchoolClass.name == "9Б")
        ).first()
        return Term(
            engine,
            int(coordinator or 0),
            int(group.id or 0),
            int(group.tutor_id or 0),
            int(teacher or 0),
            pupils,
            parents,
            {key: int(hw.id or 0) for key, hw in works.items()},
        )


def name_of(engine: Engine, person_id: int) -> str:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person.full_name


def explain(term: Term) -> None:
    """p3's parent reported illness for 9 Nov (excused) and no internet for 16 Nov (not decided);
    p5 reported a broken device for 9 Nov (not excused)."""
    given = {
        ("p3", NOV_9): ("ill", True),
        ("p3", NOV_16): ("no_internet", None),
        ("p5", NOV_9): ("device", False),
    }
    with session_scope(term.engine) as session:
        for (name, day), (reason, excused) in given.items():
            row = session.exec(
                select(Attendance).where(Attendance.pupil_id == term.pupils[name], Attendance.on_date == day)
            ).one()
            row.reason, row.excused = reason, excused
            row.reported_by = term.parents[name][0]
            row.reported_at = local(day, 9)
            session.add(row)


def open_threads(term: Term) -> dict[str, int]:
    """Three threads about p3: the parent waiting 30 hours for the tutor (2 messages), the pupil
    waiting 3 hours for the class teacher, and one answered."""
    with session_scope(term.engine) as session:
        class_id = session.exec(select(SchoolClass.id).where(SchoolClass.name == "8А")).first()
        p3 = term.pupils["p3"]
        threads = {
            "tutor": Thread(
                family_id=term.parents["p3"][0],
                pupil_id=p3,
                staff_id=term.tutor,
                topic=Topic.TUTOR.value,
                group_id=term.group,
                waiting_since=NOW - timedelta(hours=30),
            ),
            "teacher": Thread(
                family_id=p3,
                pupil_id=p3,
                staff_id=term.coordinator,
                topic=Topic.CLASS_TEACHER.value,
                class_id=class_id,
                waiting_since=NOW - timedelta(hours=3),
            ),
            "answered": Thread(
                family_id=term.parents["p3"][0], pupil_id=p3, staff_id=term.tutor, topic=Topic.TUTOR.value
            ),
        }
        session.add_all(threads.values())
        session.flush()
        for text in ("Сәлеметсіз бе", "Үй жұмысы туралы"):
            session.add(
                ThreadMessage(thread_id=threads["tutor"].id, author_id=term.parents["p3"][0], text=text)
            )
        return {key: int(thread.id or 0) for key, thread in threads.items()}
