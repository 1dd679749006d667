"""The weekly digest to parents under a fixed clock, for the sample school: what one family's digest
says (checked by hand, in Kazakh and Russian), who gets none, the parent's choice, and that the week
is made once however often the scheduler runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import T
from models import (
    Attendance,
    ChannelIdentity,
    Consent,
    Feedback,
    Guardianship,
    Homework,
    Lesson,
    LessonChange,
    Notification,
    Person,
    Submission,
    TutoringGroup,
)
from models.enums import FamilyNews
from models.store import session_scope
from outbox.write import enqueue, stored_text
from roster import import_roster
from scheduler.app import derive_once
from scheduler.digest import DigestOptions, latest_moment
from settings import Settings, load_settings

pytestmark = pytest.mark.store

ALMATY = ZoneInfo("Asia/Almaty")
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.xlsx"
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 0, 30, tzinfo=ALMATY)  # the week of 23–29 November


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 (December for days past 30), Almaty time."""
    month, day = (12, day - 30) if day > 30 else (11, day)
    return datetime(2026, month, day, hour, minute, tzinfo=ALMATY)


@pytest.fixture
def school(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """The sample school with a week of work: ids by roster id."""
    report = import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30))
    assert report.ok, report.errors
    with session_scope(engine) as session:
        ids = {p.external_id: p.id or 0 for p in session.exec(select(Person)).all()}
        groups = {g.code: g for g in session.exec(select(TutoringGroup)).all()}
        lessons = {(row.group_id, row.weekday): row for row in session.exec(select(Lesson)).all()}
        for pupil_id, guardian_id in session.exec(
            select(Guardianship.pupil_id, Guardianship.guardian_id)
        ).all():
            if pupil_id != ids["SH2-P05"]:  # Айым's parent has not agreed
                session.add(
                    Consent(
                        guardian_id=guardian_id,
                        pupil_id=pupil_id,
                        text_version="v1",
                        given=True,
                        channel="telegram",
                        decided_at=at(1, 10),
                    )
                )
        algebra, chemistry = groups["ALG-8"], groups["CHEM-8"]
        pupil = ids["SH2-P03"]  # Серікова Аружан: algebra and chemistry

        def homework(group: TutoringGroup, text: str, due: datetime, **kw: object) -> Homework:
            row = Homework(
                group_id=group.id or 0,
                tutor_id=group.tutor_id,
                text=text,
                due_at=due,
                created_at=at(20, 16),
                **kw,
            )
            session.add(row)
            session.flush()
            return row

        def marked(group: TutoringGroup, weekday: int, day: int, status: str) -> None:
            lesson = lessons[(group.id or 0, weekday)]
            session.add(
                Attendance(lesson_id=lesson.id or 0, on_date=at(day, 0).date(), pupil_id=pupil, status=status)
            )

        graded = homework(
            algebra, "№5 жаттығу, 1–6 есептер", at(25, 23, 59), kind="summative", scored=True, max_points=20
        )
        late = homework(chemistry, "§14, сұрақтар", at(24, 18))
        homework(chemistry, "Зертханалық жұмыс №2", at(27, 18))  # not handed in
        homework(algebra, "№6 жаттығу", at(32, 18))  # due Wednesday next week
        homework(algebra, "№4 жаттығу", at(18, 18))  # last week's: not this week's business
        first = Submission(
            homework_id=graded.id or 0,
            pupil_id=pupil,
            submitted_at=at(24, 20, 15),
            channel="telegram",
            status="graded",
        )
        second = Submission(
            homework_id=late.id or 0,
            pupil_id=pupil,
            submitted_at=at(25, 9, 40),
            late=True,
            channel="telegram",
        )
        session.add_all([first, second])
        session.flush()
        session.add(
            Feedback(
                submission_id=first.id or 0,
                text="Жақсы, 4-есепті тексеріңіз.",
                points=17,
                max_points=20,
                mark=5,
                created_at=at(26, 17, 5),
            )
        )
        marked(algebra, 0, 23, "present")
        marked(chemistry, 1, 24, "present")
        marked(algebra, 2, 25, "absent")
        marked(chemistry, 3, 26, "late")
        wednesday = lessons[(algebra.id or 0, 2)]
        session.add(LessonChange(lesson_id=wednesday.id or 0, on_date=at(32, 0).date(), cancelled=True))
        return ids


def digest_settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(data_dir=tmp_path / "data", database_url=db_url, digest_enabled=True)


def digests(engine: Engine) -> dict[int, Notification]:
    with Session(engine) as session:
        rows = session.exec(select(Notification).where(Notification.kind == "digest")).all()
        return {row.person_id or 0: row for row in rows}


KK = """Апталық шолу · 23.11–29.11

Серікова Аружан Болатқызы
Сабақтар: қатысты — 3, қатыспады — 1:
Ср 25.11, 15:00 · Алгебра — қатыспады
Тапсырылған жұмыстар:
• Алгебра · №5 жаттығу, 1–6 есептер (24.11)
• Химия · §14, сұрақтар (25.11, мерзімінен кеш)
Мерзімінде тапсырылмағандар:
⚠ Химия · Зертханалық жұмыс №2 — мерзімі өтті (27.11 18:00), әлі тапсырылмады
Жаңа бағалар:
26.11 · Алгебра · №5 жаттығу, 1–6 есептер — БЖБ, баға: 5 (ұпай: 17/20, 85 %)
Цифрлық ұстаздың пікірі: Жақсы, 4-есепті тексеріңіз.
29.11 күнгі тоқсандық бағалар:
Алгебра: тоқсандық баға — 5 (85 %); ҚБ —/10 балл, БЖБ 85 %, ТЖБ — %
Келесі аптадағы сабақтар:
Дс 30.11, 15:00 · Алгебра
Сс 01.12, 16:00 · Химия
Ср 02.12, 15:00 · Алгебра — сабақ болмайды ✗
Бс 03.12, 16:00 · Химия
Келесі аптадағы мерзімдер:
○ Алгебра · №6 жаттығу — мерзімі 02.12 18:00"""

RU = """Еженедельная сводка · 23.11–29.11

Серікова Аружан Болатқызы
Занятия: посещено — 3, пропущено — 1:
Ср 25.11, 15:00 · Алгебра — нет на занятии
Сданные работы:
• Алгебра · №5 жаттығу, 1–6 есептер (24.11)
• Химия · §14, сұрақтар (25.11, после срока)
Не сдано в срок:
⚠ Химия · Зертханалық жұмыс №2 — срок прошёл (27.11 18:00), не сдано
Новые оценки:
26.11 · Алгебра · №5 жаттығу, 1–6 есептер — СОр, оценка: 5 (баллы: 17/20, 85 %)
Комментарий наставника: Жақсы, 4-есепті тексеріңіз.
Четвертные оценки на 29.11:
Алгебра: четвертная оценка — 5 (85 %); ФО —/10, СОр 85 %, СОч — %
Занятия на следующей неделе:
Пн 30.11, 15:00 · Алгебра
Вт 01.12, 16:00 · Химия
Ср 02.12, 15:00 · Алгебра — занятие отменено ✗
Чт 03.12, 16:00 · Химия
Сроки на следующей неделе:
○ Алгебра · №6 жаттығу — срок 02.12 18:00"""


def test_a_familys_digest_says_what_the_week_held_and_what_comes_next(
    engine: Engine, school: dict[str, int], tmp_path: Path, db_url: str
) -> None:
    with time_machine.travel(SUNDAY_EVENING, tick=False):
        derive_once(engine, digest_settings(tmp_path, db_url))
    made = digests(engine)
    digest = made[school["SH2-G03"]]
    assert stored_text(digest).render("kk") == KK
    assert stored_text(digest).render("ru") == RU
    assert digest.about_pupil_id == school["SH2-P03"] and not digest.urgent
    assert digest.due_at == SUNDAY_EVENING.replace(second=0)
    assert digest.idempotency_key == f"digest:{school['SH2-G03']}:2026-11-29:"


def test_families_with_nothing_to_say_without_consent_without_a_chat_or_who_chose_events_get_none(
    engine: Engine, school: dict[str, int], tmp_path: Path, db_url: str
) -> None:
    with session_scope(engine) as session:
        parent = session.get(Person, school["SH2-G07"])  # Ерасыл's: algebra, a deadline next week
        assert parent is not None
        parent.family_news = FamilyNews.EVENTS
        stopped = session.exec(select(ChannelIdentity).where(ChannelIdentity.person_id == school["SH2-G09"]))
        for identity in stopped:  # Дәулет's parent sent STOP from their number
            identity.opted_out_at = SUNDAY_EVENING - timedelta(days=3)
            session.add(identity)
    with time_machine.travel(SUNDAY_EVENING, tick=False):
        derive_once(engine, digest_settings(tmp_path, db_url))
    made = digests(engine)
    # The algebra group's families have next week's deadline to hear of; not Айым's (no consent),
    # Ерасыл's (events only), Дәулет's (no chat left), nor those of pupils in no group (Анастасия).
    assert {school["SH2-G01"], school["SH2-G03"]} <= set(made)
    for parent_id in ("SH2-G05", "SH2-G07", "SH2-G09", "SH2-G02"):
        assert school[parent_id] not in made, parent_id
    assert len(made) == len({row.idempotency_key for row in made.values()})  # one per family


def test_the_week_is_made_once_and_a_late_scheduler_still_makes_it(
    engine: Engine, school: dict[str, int], tmp_path: Path, db_url: str
) -> None:
    settings = digest_settings(tmp_path, db_url)
    with time_machine.travel(SUNDAY_EVENING - timedelta(minutes=5), tick=False):
        assert derive_once(engine, settings) >= 0
    assert digests(engine) == {}  # not yet
    late = SUNDAY_EVENING + timedelta(hours=3)  # the scheduler was down at 19:00
    with time_machine.travel(late, tick=False):
        derive_once(engine, settings)
    first = digests(engine)
    assert first and all(row.due_at == SUNDAY_EVENING.replace(second=0) for row in first.values())
    with time_machine.travel(late + timedelta(minutes=1), tick=False):
        derive_once(engine, settings)
    assert {k: v.id for k, v in digests(engine).items()} == {k: v.id for k, v in first.items()}
    with time_machine.travel(SUNDAY_EVENING + timedelta(hours=13), tick=False):  # Monday morning: too late
        assert latest_moment(
            SUNDAY_EVENING + timedelta(hours=13), DigestOptions(ALMATY)
        ) == SUNDAY_EVENING.replace(second=0)


def test_a_parent_who_takes_the_digest_gets_no_grade_or_missed_work_message_but_absences_still(
    engine: Engine, school: dict[str, int]
) -> None:
    guardian, pupil = school["SH2-G03"], school["SH2-P03"]
    with session_scope(engine) as session:
        parent = session.get(Person, guardian)
        assert parent is not None
        parent.family_news = FamilyNews.DIGEST
    with session_scope(engine) as session:
        for kind in ("grade", "homework.missed", "attendance.absent"):
            enqueue(
                session,
                kind=kind,
                text=T("record.more"),
                idempotency_key=f"t:{kind}:",
                person_id=guardian,
                about_pupil_id=pupil,
            )
    with Session(engine) as session:
        kinds = session.exec(select(Notification.kind).where(Notification.person_id == guardian)).all()
    assert kinds == ["attendance.absent"]
