"""Paper packs: a homework notice that no channel carries to a family on post no longer ends unseen —
at the next Kazpost round it is a task in the family's printed pack (with the tutors' material and
the work returned for redo and the grades given, as the family record reads them, and the
announcements that did not reach them), and the pack goes to the responsible teacher and the class
teacher with the collection list."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from locales import N, T
from models import (
    Broadcast,
    Feedback,
    Homework,
    Membership,
    Notification,
    PostalRound,
    PostalSchedule,
    SchoolClass,
    Submission,
)
from models.store import session_scope
from outbox.write import enqueue, stored_text
from scheduler.app import derive_once
from scheduler.dispatcher import Dispatcher
from scheduler.postal import by_post_families, next_packs
from scheduler.postal_pack_pdf import Round, packs_pdf
from scheduler.postal_packs import round_packs
from settings import Settings
from tests.handlers.test_postal import class_8a
from tests.support.outbox import identity, person, senders

ALMATY = ZoneInfo("Asia/Almaty")
ANCHOR = date(2025, 3, 7)  # a Friday; a collection every 14 days
OPENS = datetime(2025, 3, 5, 10, 5, tzinfo=ALMATY)  # two days before, at 10:05


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ALMATY).astimezone(UTC)


def _photo(path: Path) -> str:
    Image.new("RGB", (300, 400), "white").save(path, "JPEG")
    return str(path)


def _setup(engine: Engine, media: Path) -> dict[str, int]:
    """`class_8a` (families 0 and 2 on post, homework due 6 March), with a class teacher, a Kazpost
    schedule, a homework set three weeks before the collection, a tutor's post with a photo, pupil
    2's work graded (8 of 10) and pupil 0's older work returned for redo within the window, and the
    notices that reach family 2 by no channel: the homework's, the grade's and two announcements."""
    c = class_8a(engine)
    with session_scope(engine) as session:
        klass = session.get(SchoolClass, c.class_id)
        assert klass is not None
        class_teacher = person(session, "CT-01")
        identity(session, class_teacher.id or 0, "telegram", "7002")
        session.add(
            Membership(
                person_id=class_teacher.id or 0,
                role="class_teacher",
                school_id=klass.school_id,
                class_id=klass.id,
            )
        )
        session.add(
            PostalSchedule(class_id=c.class_id, teacher_id=c.teacher_id, anchor=ANCHOR, interval_days=14)
        )
        homework = session.get(Homework, c.homework_id)
        assert homework is not None
        group_id, tutor_id = homework.group_id, homework.tutor_id or 0
        old = Homework(
            group_id=group_id,
            tutor_id=tutor_id,
            text="Ескі тапсырма",
            created_at=_at(date(2025, 2, 14), 9),
            due_at=_at(date(2025, 2, 17), 18),
        )
        post = Broadcast(
            group_id=group_id,
            author_id=tutor_id,
            audience="pupils",
            text="Сабақтың жазбасы және кесте",
            attachment_path=_photo(media / "table.jpg"),
            created_at=_at(date(2025, 3, 3), 9),
            confirmed_at=_at(date(2025, 3, 3), 9),
        )
        session.add_all([old, post])
        session.flush()
        handed = [
            Submission(homework_id=c.homework_id, pupil_id=c.pupils[2], status="graded", channel="postal"),
            Submission(homework_id=old.id or 0, pupil_id=c.pupils[0], status="returned", channel="postal"),
        ]
        session.add_all(handed)
        session.flush()
        session.add_all(
            [
                Feedback(
                    submission_id=handed[0].id or 0,
                    text="Жақсы",
                    formative_score=8,
                    created_at=_at(date(2025, 3, 4), 9),
                ),
                Feedback(
                    submission_id=handed[1].id or 0,
                    text="3-есепті қайта шығарыңыз",
                    redo=True,
                    created_at=_at(date(2025, 2, 25), 9),
                ),
            ]
        )
        for pupil in c.pupils:  # the notices set_homework writes
            enqueue(
                session,
                kind="homework.new",
                text=T("homework.notify.new", subject="", text="", due="", grading=""),
                idempotency_key=f"homework-new:{c.homework_id}:{pupil}:",
                person_id=pupil,
            )
        enqueue(
            session,
            kind="grade",
            text=T(
                "review.notify.grade_points",
                pupil="",
                subject="",
                title="",
                comment="",
                points=17,
                max=20,
                percent=85,
                mark=5,
            ),
            idempotency_key="grade:1:",
            person_id=c.guardians[2],
            about_pupil_id=c.pupils[2],
        )
        # the tutor's post reached pupil 2's parent by no channel: in the pack once, as material
        enqueue(
            session,
            kind="broadcast",
            text=T("post.message", group="ALG-1", subject="", tutor="", text=post.text),
            idempotency_key=f"broadcast:{post.id}:{c.guardians[2]}:",
            person_id=c.guardians[2],
            about_pupil_id=c.pupils[2],
            broadcast_id=post.id,
        )
        # the class teacher's announcement reached neither pupil 2 nor the parent: one message
        notice = Broadcast(
            class_id=klass.id, author_id=class_teacher.id or 0, audience="guardians", text="Жиналыс"
        )
        session.add(notice)
        session.flush()
        for someone in (c.pupils[2], c.guardians[2]):
            enqueue(
                session,
                kind="broadcast",
                text=T("broadcast.message", class_name="8А", teacher="", text="Жиналыс"),
                idempotency_key=f"broadcast:{notice.id}:{someone}:",
                person_id=someone,
                about_pupil_id=None if someone == c.pupils[2] else c.pupils[2],
                broadcast_id=notice.id,
            )
        return {
            "class": c.class_id,
            "teacher": c.teacher_id,
            "class_teacher": class_teacher.id or 0,
            "pupil0": c.pupils[0],
            "pupil2": c.pupils[2],
            "group": group_id,
        }


async def test_a_notice_no_channel_carried_lands_in_the_familys_paper_pack(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with time_machine.travel(_at(date(2025, 3, 4), 11), tick=True):
        ids = _setup(engine, tmp_path)
        await Dispatcher(engine, senders("telegram", "sms"), settings).run_until_idle()
    with Session(engine) as session:
        unreached = session.exec(select(Notification).where(Notification.status == "no_channel")).all()
    # where a notice to a family on post ended until now: no channel; from here on, in the pack too
    assert {(n.kind, n.about_pupil_id or n.person_id) for n in unreached} == {
        ("homework.new", ids["pupil0"]),
        ("homework.new", ids["pupil2"]),
        ("grade", ids["pupil2"]),
        ("broadcast", ids["pupil2"]),
    }

    with Session(engine) as session:  # what the delivery page shows before the round opens
        ahead = next_packs(session, ids["class"], OPENS - timedelta(hours=1), ALMATY)
    assert [(p.pupil_id, len(p.tasks), len(p.returned), len(p.grades), len(p.messages)) for p in ahead] == [
        (ids["pupil0"], 1, 1, 0, 0),
        (ids["pupil2"], 1, 0, 1, 1),
    ]

    assert derive_once(engine, settings, clock=lambda: OPENS) > 0
    with Session(engine) as session:
        round_ = session.exec(select(PostalRound)).one()
        schedule = session.exec(select(PostalSchedule)).one()
        packs = {
            p.pupil_id: p
            for p in round_packs(session, round_, schedule, by_post_families(session, ids["class"]), ALMATY)
        }
        sent = session.exec(
            select(Notification).where(col(Notification.idempotency_key).like(f"postal:{round_.id}:packs:%"))
        ).all()
    assert set(packs) == {ids["pupil0"], ids["pupil2"]}  # the families on post
    pack = packs[ids["pupil2"]]
    [task] = pack.tasks  # the homework set since one interval back, not the older one
    assert task.text == "№ 12 есептер, 45-бет" and task.due.date() == date(2025, 3, 6)
    assert task.hand_in_on == date(2025, 3, 21)  # the pack arrives on the 7th: back with the next round
    [material] = pack.materials
    assert material.text == "Сабақтың жазбасы және кесте" and material.attachment
    # the grade as /grades and the weekly digest read it; the announcement once; the tutor's post is
    # in the pack as material only
    [grade] = pack.grades
    assert grade.render("ru") == (
        "04.03 · Алгебра · № 12 есептер, 45-бет — ФО, балл: 8/10\nКомментарий наставника: Жақсы"
    )
    assert [m.text.key for m in pack.messages] == ["broadcast.message"]
    [returned] = packs[ids["pupil0"]].returned
    assert returned.key == "record.work.redo" and returned.params["comment"] == "3-есепті қайта шығарыңыз"
    assert (pack.address, pack.locale) == ("Шортанды, Бейбітшілік 12", "ru")

    assert {n.person_id for n in sent} == {ids["teacher"], ids["class_teacher"]}
    assert {n.media_path for n in sent} == {
        str(settings.data_dir / "postal" / f"kazpost-2025-03-07-packs-{round_.id}.pdf")
    }
    assert stored_text(sent[0]) == N(
        "postal.packs", "pupils", class_name="8А", date="07.03.2025", pupils=2, tasks=2, grades=1, messages=1
    )
    assert "для 2 учеников" in stored_text(sent[0]).render("ru")  # a count of pupils in its plural form
    pdf = Path(sent[0].media_path or "").read_bytes()
    assert pdf.startswith(b"%PDF") and b"FontFile2" in pdf
    assert pdf.count(b"/Subtype /Image") == 1  # the tutor's photo, printed once (shared by both packs)
    assert pdf.count(b"/Type /Page\n") >= 2  # a page or more per family


def test_a_pack_prints_the_quarter_mark_so_far_and_none_in_the_summer(engine: Engine, tmp_path: Path) -> None:
    """Pupil 2's algebra in the 2nd quarter of 2026–2027 (from 2 November): a formative 8/10 and a
    СОр of 15/20 → (25 × 80 + 25 × 75) / 50 = 77.5 % → 4. The pack of a round opening on 25 November
    prints it under its heading, in the family's Russian; one in the summer, in no quarter, does not;
    nor does the next quarter's, with nothing graded in it yet."""
    ids = _setup(engine, tmp_path)
    with session_scope(engine) as session:
        for text, kind, due, grade in (
            ("Тапсырма 7", "formative", _at(date(2026, 11, 13), 18), {"formative_score": 8}),
            ("БЖБ 2", "summative", _at(date(2026, 11, 20), 18), {"points": 15, "max_points": 20, "mark": 4}),
        ):
            work = Homework(
                group_id=ids["group"], text=text, kind=kind, max_points=grade.get("max_points"), due_at=due
            )
            session.add(work)
            session.flush()
            handed = Submission(
                homework_id=work.id or 0, pupil_id=ids["pupil2"], status="graded", channel="postal"
            )
            session.add(handed)
            session.flush()
            session.add(Feedback(submission_id=handed.id or 0, created_at=due + timedelta(days=1), **grade))
    opens = datetime(2026, 11, 25, 10, tzinfo=ALMATY).astimezone(UTC)
    with Session(engine) as session:
        packs = {p.pupil_id: p for p in next_packs(session, ids["class"], opens, ALMATY)}
        summer = next_packs(session, ids["class"], datetime(2027, 7, 10, 5, tzinfo=UTC), ALMATY)
        fourth = next_packs(session, ids["class"], datetime(2027, 4, 10, 5, tzinfo=UTC), ALMATY)
    line = "Алгебра: четвертная оценка — 4 (77,5 %); ФО 8/10, СОр 75 %, СОч — %"
    assert [text.render("ru") for text in packs[ids["pupil2"]].quarter] == [line]
    assert packs[ids["pupil0"]].quarter == []  # nothing graded this quarter: no line
    assert summer and fourth and all(pack.quarter == [] for pack in (*summer, *fourth))
    paper = Round("8А", "№ 1 мектеп", "Шортанды", date(2026, 11, 27), date(2026, 12, 11))
    pdf = packs_pdf(list(packs.values()), paper)
    printed = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Четвертные оценки на 27.11.2026" in printed and line in printed
    summer_pdf = packs_pdf(summer, paper)
    assert "Четвертные" not in " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(summer_pdf)).pages
    )


async def test_the_next_pack_starts_where_the_last_one_ended(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ids = _setup(engine, tmp_path)
    derive_once(engine, settings, clock=lambda: OPENS)
    with session_scope(engine) as session:
        later = Homework(
            group_id=ids["group"],
            text="Келесі тапсырма",
            created_at=OPENS + timedelta(hours=1),
            due_at=_at(date(2025, 3, 12), 18),
        )
        session.add(later)
    derive_once(engine, settings, clock=lambda: OPENS + timedelta(days=14))
    with Session(engine) as session:
        _first, second = session.exec(select(PostalRound).order_by(col(PostalRound.collection_date))).all()
        schedule = session.exec(select(PostalSchedule)).one()
        families = by_post_families(session, ids["class"])
        [pack, _] = round_packs(session, second, schedule, families, ALMATY)
    assert [t.text for t in pack.tasks] == ["Келесі тапсырма"] and pack.materials == []
    assert second.created_at == OPENS + timedelta(days=14)
