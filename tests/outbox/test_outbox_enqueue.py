"""The write side of the outbox: idempotent enqueue, the consent gate, withdrawal."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from locales import T
from models import Consent, Notification
from models.clock import utcnow
from models.consent_rules import has_consent, reachable
from models.store import session_scope
from outbox.write import cancel, enqueue, homework_key_prefix, lesson_key_prefix, stored_text
from tests.support.outbox import consent, person, school

pytestmark = pytest.mark.store


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Notification)).one())


def test_same_key_twice_is_one_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
        first = enqueue(
            session,
            person_id=s.tutor_id,
            kind="test",
            text=T("subject.algebra"),
            idempotency_key="k:1:",
        )
    with session_scope(engine) as session:
        again = enqueue(
            session,
            person_id=s.tutor_id,
            kind="test",
            text=T("subject.physics"),
            idempotency_key="k:1:",
        )
    assert first is not None and again is not None
    assert again.id == first.id
    assert again.key == "subject.algebra"  # the first write wins, nothing is overwritten
    assert _count(engine) == 1


def test_same_key_from_two_threads_at_once_is_one_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
    barrier = threading.Barrier(2)
    ids: list[int | None] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with session_scope(engine) as session:
                barrier.wait(timeout=10)
                row = enqueue(
                    session,
                    person_id=s.tutor_id,
                    kind="test",
                    text=T("subject.algebra"),
                    idempotency_key="race:1:",
                )
                ids.append(row.id if row else None)
        except BaseException as exc:
            errors.append(exc)

    for _round in range(5):
        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert len(ids) == 10 and len(set(ids)) == 1 and None not in ids
    assert _count(engine) == 1


def test_row_is_written_in_the_callers_transaction(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        enqueue(
            session,
            person_id=s.tutor_id,
            kind="test",
            text=T("subject.algebra"),
            idempotency_key="tx:1:",
        )
        raise RuntimeError("the change failed")
    assert _count(engine) == 0


def test_pupil_without_consent_gets_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session, consenting=2)
        text = T("subject.algebra")
        written = [
            enqueue(session, person_id=p, kind="lesson.reminder", text=text, idempotency_key=f"c:{p}:")
            for p in s.pupils
        ]
        assert [w is not None for w in written] == [True, True, False]
        # the third pupil's guardian: nothing about that pupil, but the consent request itself goes
        about = enqueue(
            session,
            person_id=s.guardians[2],
            about_pupil_id=s.pupils[2],
            kind="homework.missed",
            text=text,
            idempotency_key="g:about:",
        )
        request = enqueue(
            session,
            person_id=s.guardians[2],
            about_pupil_id=s.pupils[2],
            kind="consent.request",
            text=text,
            idempotency_key="g:request:",
        )
        assert about is None and request is not None
        # tutors and guardians themselves are reachable
        assert reachable(session, s.tutor_id) and reachable(session, s.guardians[2])
    assert _count(engine) == 3


def test_withdrawn_or_refused_consent_is_not_current(engine: Engine) -> None:
    with session_scope(engine) as session:
        s = school(session, pupils=3)
        pupil, guardian = s.pupils[0], s.guardians[0]
        assert has_consent(session, pupil)
        row = session.exec(select(Consent).where(Consent.pupil_id == pupil)).one()
        row.withdrawn_at = utcnow()
        session.flush()
        assert not has_consent(session, pupil)
        later = consent(session, guardian, pupil)  # given again
        assert has_consent(session, pupil)
        later.decided_at = utcnow() + timedelta(seconds=1)
        refusal = consent(session, guardian, pupil, given=False)
        refusal.decided_at = utcnow() + timedelta(seconds=2)
        session.flush()
        assert not has_consent(session, pupil)  # the latest decision is a refusal
        second_guardian = person(session, "second-guardian")
        assert second_guardian.id is not None
        consent(session, second_guardian.id, pupil)
        assert has_consent(session, pupil)  # another guardian's yes counts


def test_cancel_withdraws_pending_rows_by_prefix_only(engine: Engine) -> None:
    today = utcnow().date()
    with session_scope(engine) as session:
        s = school(session)
        text = T("subject.algebra")
        for lesson_id in (1, 12):
            for offset in (60, 10):
                enqueue(
                    session,
                    person_id=s.tutor_id,
                    kind="lesson.reminder",
                    text=text,
                    idempotency_key=f"{lesson_key_prefix(lesson_id, today)}{offset}:{s.tutor_id}:",
                )
        sent = enqueue(
            session,
            person_id=s.tutor_id,
            kind="lesson.reminder",
            text=text,
            idempotency_key=f"{lesson_key_prefix(1, today)}5:{s.tutor_id}:",
        )
        assert sent is not None
        sent.status = "sent"
    with session_scope(engine) as session:
        assert cancel(session, lesson_key_prefix(1, today)) == 2
        assert cancel(session, lesson_key_prefix(1, today)) == 0
        assert cancel(session, "100%_") == 0  # LIKE wildcards are escaped
    with Session(engine) as session:
        statuses = {n.idempotency_key: n.status for n in session.exec(select(Notification)).all()}
    assert sorted(statuses.values()) == ["cancelled", "cancelled", "pending", "pending", "sent"]
    assert all(status == "pending" for key, status in statuses.items() if key.startswith("lesson:12:"))
    assert homework_key_prefix(5, 1) == "homework:5:1:"


def test_group_chat_row_and_nested_text_round_trip(engine: Engine) -> None:
    with session_scope(engine) as session:
        row = enqueue(
            session,
            group_chat_id=-100123,
            kind="lesson.changed",
            text=T("notify.lesson.cancelled", subject=T("subject.physics"), date="03.03", time="15:00"),
            idempotency_key="group:1:",
        )
        assert row is not None
    with Session(engine) as session:
        stored = session.exec(select(Notification)).one()
        text = stored_text(stored)
    assert text.render("ru") == "Внимание: занятие «Физика» отменено.\nДата: 03.03, время: 15:00"
    assert "Физика" in text.render("kk")


def test_enqueue_needs_exactly_one_recipient(engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValueError):
            enqueue(session, kind="x", text=T("subject.algebra"), idempotency_key="x:")
        with pytest.raises(ValueError):
            enqueue(
                session,
                person_id=1,
                group_chat_id=2,
                kind="x",
                text=T("subject.algebra"),
                idempotency_key="x:",
            )
