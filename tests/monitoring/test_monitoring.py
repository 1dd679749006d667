"""The dashboard's monitoring queries over the sample school: who sees what, and what each table counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

import monitoring
from bots.web.streamed import csv_lines, csv_rows, header, write_xlsx
from locales import Text
from models.clock import utcnow
from models.enums import Role
from models.homework import Feedback, Homework, Submission
from models.outbox import DeliveryAttempt, Notification
from models.people import Consent, Guardianship, Membership, Person
from models.postal import PostalItem, PostalRound
from models.school import GroupMember, SchoolClass, TutoringGroup
from models.store import session_scope
from models.timetable import Attendance, Lesson
from monitoring import periods
from monitoring.delivery import delivery
from monitoring.figures import Reading
from monitoring.table import Ask
from monitoring.tables import LISTINGS
from roster import import_roster
from settings.environment import DEFAULT_TIME_ZONE

pytestmark = pytest.mark.store
SAMPLE = Path(__file__).resolve().parents[2] / "sandbox" / "sample_roster.csv"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo(DEFAULT_TIME_ZONE)


def _person(session: Session, role: Role, class_name: str | None = None) -> int:
    query = select(Membership).where(Membership.role == role.value)
    if class_name:
        class_id = session.exec(select(SchoolClass.id).where(SchoolClass.name == class_name)).one()
        query = query.where(Membership.class_id == class_id)
    return session.exec(query.order_by(Membership.person_id)).first().person_id  # type: ignore[union-attr]


@pytest.fixture
def school(engine: Engine) -> Engine:
    report = import_roster(engine, SAMPLE, dry_run=False, invite_ttl=timedelta(days=30))
    assert report.ok
    return engine


def _scope(engine: Engine, person_id: int) -> monitoring.Scope:
    with Session(engine) as session:
        scope = monitoring.scope_of(session, person_id)
    assert scope is not None
    return scope


def _pupils(engine: Engine, scope: monitoring.Scope) -> set[int]:
    with Session(engine) as session:
        return set(session.execute(scope.pupils()).scalars())


def _rendered(table: monitoring.Table) -> list[list[object]]:
    return [[c.render("en") if isinstance(c, Text) else c for c in row] for row in table.rows]


def test_a_coordinator_sees_the_school_a_class_teacher_only_their_class(school: Engine) -> None:
    with Session(school) as session:
        coordinator = _person(session, Role.COORDINATOR)
        teacher_8a = _person(session, Role.CLASS_TEACHER, "8А")
        tutor = _person(session, Role.TUTOR)
        pupils_8a = set(
            session.exec(
                select(Membership.person_id)
                .join(SchoolClass, SchoolClass.id == Membership.class_id)  # type: ignore[arg-type]
                .where(Membership.role == Role.PUPIL.value, SchoolClass.name == "8А")
            ).all()
        )
        group_pupils = set(
            session.exec(
                select(GroupMember.pupil_id)
                .join(TutoringGroup, TutoringGroup.id == GroupMember.group_id)  # type: ignore[arg-type]
                .where(TutoringGroup.tutor_id == tutor)
            ).all()
        )
        parent = _person(session, Role.GUARDIAN)
        assert monitoring.scope_of(session, parent) is None
    whole = _scope(school, coordinator)
    own = _scope(school, teacher_8a)
    tutoring = _scope(school, tutor)
    assert (whole.level, own.level, tutoring.level) == ("school", "class", "group")
    assert len(_pupils(school, whole)) == 40
    assert _pupils(school, own) == pupils_8a
    assert _pupils(school, tutoring) == group_pupils and 0 < len(group_pupils) < 10
    assert len(own.class_ids) == 1
    with Session(school) as session:
        classes = {row[0] for row in monitoring.table(session, own, "consent", ZONE, NOW).rows}
    assert classes == {"8А"}


def test_consent_is_given_withdrawn_or_missing_with_its_date(school: Engine) -> None:
    with session_scope(school) as session:
        pairs = session.exec(select(Guardianship).order_by(Guardianship.id)).all()
        given, withdrawn = pairs[0], pairs[1]
        session.add(
            Consent(
                guardian_id=given.guardian_id,
                pupil_id=given.pupil_id,
                text_version="v1",
                given=True,
                decided_at=NOW,
                channel="telegram",
            )
        )
        session.add(
            Consent(
                guardian_id=withdrawn.guardian_id,
                pupil_id=withdrawn.pupil_id,
                text_version="v1",
                given=True,
                decided_at=NOW - timedelta(days=3),
                withdrawn_at=NOW - timedelta(days=1),
                channel="telegram",
            )
        )
        coordinator = _person(session, Role.COORDINATOR)
        names = {p.id: p.full_name for p in session.exec(select(Person)).all()}
    with Session(school) as session:
        table = monitoring.table(session, _scope(school, coordinator), "consent", ZONE, NOW)
    by_name = {row[1]: row for row in _rendered(table)}
    assert by_name[names[given.pupil_id]][2:] == ["given", date(2026, 3, 20)]
    assert by_name[names[withdrawn.pupil_id]][2:] == ["withdrawn or refused", date(2026, 3, 19)]
    assert sum(1 for row in _rendered(table) if row[2] == "missing") == 38
    assert table.pupils[table.rows.index(next(r for r in table.rows if r[1] == names[given.pupil_id]))] == (
        given.pupil_id
    )


def _group_with_pupils(session: Session) -> tuple[TutoringGroup, list[int]]:
    group = session.exec(select(TutoringGroup).order_by(TutoringGroup.code)).first()
    assert group is not None
    pupils = list(session.exec(select(GroupMember.pupil_id).where(GroupMember.group_id == group.id)).all())
    return group, sorted(pupils)


def test_homework_counts_on_time_late_missing_and_reviewed_and_growth_per_subject(school: Engine) -> None:
    with session_scope(school) as session:
        group, pupils = _group_with_pupils(session)
        first = Homework(
            group_id=group.id,
            text="Task 1",
            due_at=NOW - timedelta(days=7),
            created_at=NOW - timedelta(days=9),
        )
        second = Homework(group_id=group.id, text="Task 2", due_at=NOW - timedelta(days=1))
        upcoming = Homework(group_id=group.id, text="Task 3", due_at=NOW + timedelta(days=2))
        session.add_all([first, second, upcoming])
        session.flush()
        early = Submission(
            homework_id=first.id,
            pupil_id=pupils[0],
            status="graded",
            channel="telegram",
            submitted_at=NOW - timedelta(days=8),
        )
        late = Submission(
            homework_id=second.id,
            pupil_id=pupils[0],
            status="graded",
            late=True,
            channel="telegram",
            submitted_at=NOW - timedelta(hours=12),
        )
        waiting = Submission(homework_id=second.id, pupil_id=pupils[1], channel="telegram")
        replaced = Submission(
            homework_id=upcoming.id, pupil_id=pupils[1], status="replaced", channel="telegram"
        )
        session.add_all([early, late, waiting, replaced])
        session.flush()
        session.add(Feedback(submission_id=early.id, formative_score=5, created_at=NOW - timedelta(days=6)))
        session.add(Feedback(submission_id=late.id, formative_score=8, created_at=NOW - timedelta(hours=2)))
        for pupil in pupils[:2]:
            guardian = session.exec(select(Guardianship).where(Guardianship.pupil_id == pupil)).first()
            assert guardian is not None
            session.add(
                Consent(
                    guardian_id=guardian.guardian_id,
                    pupil_id=pupil,
                    text_version="v1",
                    given=True,
                    channel="telegram",
                )
            )
        coordinator = _person(session, Role.COORDINATOR)
        group_code, subject, size = group.code, group.subject, len(pupils)
    scope = _scope(school, coordinator)
    with Session(school) as session:
        homework = {row[0]: row for row in _rendered(monitoring.table(session, scope, "homework", ZONE, NOW))}
        grades = _rendered(monitoring.table(session, scope, "grades", ZONE, NOW))
        view = monitoring.pupil_view(session, scope, pupils[0], ZONE)
        outsider = monitoring.pupil_view(session, scope, 10**6, ZONE)
    # set, submitted on time, late, missing (two past deadlines), reviewed
    assert homework[group_code][2:] == [3, 2, 1, 2 * size - 3, 2]
    [row] = [r for r in grades if r[3] == 2]
    assert row[4:] == [6.5, None, 80.0]
    assert view is not None and outsider is None
    # formative works only, no diagnostics yet: charted, no knowledge growth
    assert _rendered(view.growth) == [[view.growth.rows[0][0].render("en"), None, None, None]]  # type: ignore[union-attr]
    assert [p.percent for p in view.series[subject]] == [50.0, 80.0]
    assert [r[3] for r in _rendered(view.submissions)] == ["no", "yes"]


def test_attendance_is_counted_per_group_and_week(school: Engine) -> None:
    with session_scope(school) as session:
        group, pupils = _group_with_pupils(session)
        lesson = session.exec(select(Lesson).where(Lesson.group_id == group.id)).first()
        assert lesson is not None
        monday = date(2026, 3, 16)
        for day, statuses in (
            (monday, ["present", "late", "absent"]),
            (monday + timedelta(days=7), ["present"]),
        ):
            for pupil, status in zip(pupils, statuses, strict=False):
                session.add(
                    Attendance(
                        lesson_id=lesson.id, on_date=day + timedelta(days=2), pupil_id=pupil, status=status
                    )
                )
        coordinator = _person(session, Role.COORDINATOR)
        code = group.code
    with Session(school) as session:
        rows = [
            r
            for r in _rendered(
                monitoring.table(session, _scope(school, coordinator), "attendance", ZONE, NOW)
            )
            if r[0] == code
        ]
    # week, lessons, present, late, absent, excused (none was explained)
    assert [r[2:] for r in rows] == [[monday, 1, 1, 1, 1, 0], [monday + timedelta(days=7), 1, 1, 0, 0, 0]]


def test_delivery_health_by_channel_and_kazpost_lists(school: Engine) -> None:
    with session_scope(school) as session:
        coordinator = _person(session, Role.COORDINATOR)
        guardian = session.exec(select(Guardianship)).first()
        assert guardian is not None
        sent = Notification(
            idempotency_key="t:1:",
            person_id=guardian.guardian_id,
            kind="test",
            key="k",
            status="sent",
            channel="telegram",
        )
        lost = Notification(
            idempotency_key="t:2:",
            person_id=guardian.guardian_id,
            kind="test",
            key="k",
            status="no_channel",
            channel="sms",
        )
        session.add_all([sent, lost])
        session.flush()
        session.add_all(
            [
                DeliveryAttempt(
                    notification_id=sent.id,
                    channel="whatsapp",
                    outcome="failed",
                    error="no template outside the 24-hour window",
                ),
                DeliveryAttempt(notification_id=sent.id, channel="telegram", outcome="retry"),
                DeliveryAttempt(notification_id=sent.id, channel="telegram", outcome="delivered"),
                DeliveryAttempt(notification_id=lost.id, channel="sms", outcome="blocked", error="400:21610"),
            ]
        )
        class_id = session.exec(select(SchoolClass.id).order_by(SchoolClass.name)).first()
        postal = PostalRound(class_id=class_id, teacher_id=coordinator, collection_date=date(2026, 3, 27))
        session.add(postal)
        session.flush()
        session.add(PostalItem(round_id=postal.id, pupil_id=guardian.pupil_id, status="received"))
    scope = _scope(school, coordinator)
    now = utcnow()
    reading = Reading(
        scope, periods.current_quarter(now.astimezone(ZONE).date()), ZONE, now + timedelta(seconds=1)
    )
    with Session(school) as session:
        found = delivery(session, reading)
        rounds = _rendered(monitoring.table(session, scope, "postal", ZONE, NOW))
    assert dict(found.delivered) == {"telegram": 1} and found.not_reached == 1 and found.cut == 0
    assert [
        (f.channel, f.reason, f.messages, dict(f.then_delivered), f.not_reached) for f in found.failures
    ] == [
        ("sms", "stop", 1, {}, 1),
        ("whatsapp", "window", 1, {"telegram": 1}, 0),
    ]
    assert [r[0] for r in rounds] == [date(2026, 3, 27)] and rounds[0][4] == "received"


def test_every_table_exports_to_xlsx_and_csv_with_translated_headers(school: Engine, tmp_path: Path) -> None:
    """The exports as the dashboard streams them: a workbook written row by row, CSV lines in batches."""
    with Session(school) as session:
        scope = _scope(school, _person(session, Role.COORDINATOR))
    first = {
        "consent": "Класс",
        "attendance": "Группа",
        "homework": "Группа",
        "grades": "Класс",
        "postal": "Дата",
        "threads": "Ждёт с",
        "problems": "Дата",
    }
    for name in monitoring.TABLES:
        ask = Ask(scope, ZONE, NOW, None)
        with Session(school) as session:
            table = monitoring.table(session, scope, name, ZONE, NOW)
            listing = LISTINGS[name](session, ask)
        path = tmp_path / f"{name}.xlsx"
        write_xlsx(school, partial(LISTINGS[name], ask=ask), "ru", name, path)
        rows = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
        assert len(rows) == 1 + len(table.rows) and rows[0][0] == first[name]
        text = csv_lines([header(listing, "kk"), *csv_rows(table.rows, "kk")])
        assert text.count("\n") == 1 + len(table.rows)
    consent = partial(LISTINGS["consent"], ask=Ask(scope, ZONE, NOW, None))
    write_xlsx(school, consent, "en", "consent", tmp_path / "consent-en.xlsx")
    sheet = load_workbook(tmp_path / "consent-en.xlsx").worksheets[0]
    assert sheet.cell(2, 3).value == "missing"
