"""Staff day to day, in-process through the handlers' entry point: leaving a form, a second tap on
any button, invitations, corrections, the assistant's attendance, paper applications, a tutor's post
and announcements that say when they go."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from handlers import throttle
from handlers.dates import parse_day, parse_due
from handlers.router import BEFORE_LANGUAGE, ROUTES, process
from handlers.routes import button_owners
from handlers.types import Chat, Identity, Inbound, Reply
from models import AuditLog, Broadcast, Consent, Feedback, Invite, Submission
from models.enums import NotificationStatus, SubmissionStatus
from models.invites import EXPIRED, JOINED, NONE, invite_states, issue_invite
from models.store import session_scope
from monitoring import scope_of
from monitoring.invites import sections
from tests.support.attendance import StaffWorld, build_staff_world
from tests.support.homework import keys, page_image

pytestmark = pytest.mark.flow


@pytest.fixture
def staff(engine: Engine, tmp_path: Path) -> StaffWorld:
    return build_staff_world(engine, tmp_path / "media")


def tap(staff: StaffWorld, who: str, value: str, message: str) -> list[Reply]:
    """A button pressed on the bot's message `message` (as Telegram says which message it was)."""
    inbound = Inbound(identity=Identity("telegram", who), chat=Chat(who), choice=value, answers=message)
    return process(staff.engine, inbound, staff.config)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the receipts of deliveries handled."""
    with Session(engine) as session:
        return {
            name: sorted(map(tuple, session.connection().execute(table.select()).all()), key=repr)
            for name, table in SQLModel.metadata.tables.items()
            if name != "inbound_receipt"
        }


# ---------------------------------------------------------------- 2: a way out, a second tap


def test_cancel_words_and_a_command_mid_form_leave_or_keep_the_form(staff: StaffWorld) -> None:
    group = staff.groups["A1"]
    staff.say("t1", "/homework")
    staff.press("t1", f"hw:group:{group}")
    assert keys(staff.say("t1", "Отмена!")) == ["leaving.left"]
    assert keys(staff.say("t1", "anything")) == ["help.menu"]  # the form is gone
    assert keys(staff.say("t1", "/cancel")) == ["leaving.nothing"]

    staff.say("t1", "/homework")
    staff.press("t1", f"hw:group:{group}")
    staff.say("t1", "§3, tasks 1–4")
    asked = staff.say("t1", "/start")
    assert keys(asked) == ["leaving.ask"]
    stay = staff.say("t1", "2")  # typed: the second choice, carry on
    assert keys(stay) == ["leaving.stay"]
    assert keys(staff.say("t1", "tomorrow 18:00")) == ["homework.ask_grading"]  # the form went on
    staff.say("t1", "/review")
    left = staff.say("t1", "1")  # leave, and /review runs
    assert keys(left)[:2] == ["leaving.left", "review.empty"]
    assert staff.outbox("homework.new") == []


def test_a_second_tap_on_any_button_of_the_table_changes_nothing(staff: StaffWorld) -> None:
    """Every button prefix the router declares: the first tap does what it does (often a refusal of
    a made-up value), the second on the same message changes no row."""
    prefixes = sorted(button_owners(BEFORE_LANGUAGE, ROUTES))
    assert len(prefixes) >= 20
    throttle._per_store[staff.engine] = throttle.Throttle(burst=10_000)  # many taps in a second
    for number, prefix in enumerate(prefixes):
        for who in ("t1", "c1", "g1"):
            message = f"{who}:{number}"
            tap(staff, who, f"{prefix}1", message)
            before = snapshot(staff.engine)
            again = tap(staff, who, f"{prefix}1", message)
            assert keys(again) == ["buttons.answered"], prefix
            assert snapshot(staff.engine) == before, prefix


def test_a_second_yes_to_consent_stores_nothing_and_thanks_once(staff: StaffWorld) -> None:
    pupil = staff.ids["p3"]  # no decision yet
    first = tap(staff, "g3", f"consent:yes:{pupil}", "g3:1")
    again = tap(staff, "g3", f"consent:yes:{pupil}", "g3:1")
    other_message = tap(staff, "g3", f"consent:yes:{pupil}", "g3:2")  # the question asked twice
    assert keys(first) == ["consent.thanks_yes", "catch_up.child"]
    assert keys(again) == ["buttons.answered"]
    assert keys(other_message) == ["consent.unchanged"]
    with Session(staff.engine) as session:
        assert len(session.exec(select(Consent).where(Consent.pupil_id == pupil)).all()) == 1


# ---------------------------------------------------------------- 1: invitations


def test_invite_states_reissue_revokes_and_the_new_code_joins(staff: StaffWorld) -> None:
    p3 = staff.ids["p3"]
    with session_scope(staff.engine) as session:
        old = issue_invite(session, p3, timedelta(days=14)).code
        expired = issue_invite(session, staff.ids["g3"], timedelta(days=-1)).code
        assert {i.code for i in session.exec(select(Invite)).all()} == {old, expired}
    listed = staff.say("c1", "/invite")
    assert keys(listed) == ["invites.ask_person"]
    values = [c.value for c in listed[0].choices]
    assert f"inv:p:{staff.classes['8A']}:{p3}" in values
    issued = staff.press("c1", f"inv:p:{staff.classes['8A']}:{p3}")
    assert keys(issued) == ["invites.issued"]
    new = issued[0].text.params["code"]
    assert new != old

    stranger = Inbound(identity=Identity("sms", "+77015550101"), chat=Chat("+77015550101"), text=old)
    assert keys(process(staff.engine, stranger, staff.config)) == ["join.code_revoked"]
    joined = process(staff.engine, replace(stranger, text=new, external_id="m2"), staff.config)
    assert keys(joined)[0] == "join.welcome"

    with Session(staff.engine) as session:
        now = datetime.now(UTC)
        ids = [p3, staff.ids["g3"], staff.ids["g1"], staff.ids["c1"]]
        found = {pid: state for pid, (state, _) in invite_states(session, ids, now).items()}
        assert found[p3] == JOINED and found[staff.ids["g3"]] == EXPIRED
        assert found[staff.ids["g1"]] == NONE  # never written, no code
        scope = scope_of(session, staff.ids["c1"])
        assert scope is not None
        listed_sections = sections(session, scope, now)
        audit = session.exec(select(AuditLog).where(AuditLog.action == "invite.reissued")).one()
    assert audit.actor_id == staff.ids["c1"] and audit.entity_id == p3
    class_8a = next(s for s in listed_sections if s.kind == "class" and s.title == "8A")
    assert {p.person_id for p in class_8a.people} >= {p3, staff.ids["g3"], staff.ids["c1"]}
    fresh = next(p for p in class_8a.people if p.person_id == staff.ids["g3"])
    assert fresh.state == EXPIRED and fresh.code == ""


# ---------------------------------------------------------------- 3: corrections


def test_a_tutor_corrects_a_grade_the_family_is_told_and_the_audit_keeps_the_old(staff: StaffWorld) -> None:
    homework = staff.homework("A1", "Task 7", max_points=20, kind="summative")  # type: ignore[arg-type]
    with session_scope(staff.engine) as session:
        submission = Submission(homework_id=homework, pupil_id=staff.ids["p1"], channel="telegram")
        session.add(submission)
        session.flush()
        sub_id = submission.id
    staff.press("t1", f"rv:grade:{sub_id}")
    staff.say("t1", "17")
    graded = staff.say("t1", "Good")
    assert graded[0].text.key == "review.graded_as"
    assert graded[0].text.params["result"].params == {"points": "17", "max": 20, "percent": "85", "mark": 5}
    listed = staff.say("t1", "/grades")
    with Session(staff.engine) as session:
        feedback = session.exec(select(Feedback)).one()
    assert [c.value for c in listed[0].choices] == [f"fix:pick:{feedback.id}"]
    assert keys(staff.press("t1", f"fix:pick:{feedback.id}")) == ["fix.ask_points"]
    assert keys(staff.say("t1", "12")) == ["fix.ask_comment"]
    done = staff.say("t1", "Task 3 was wrong after all")
    assert keys(done) == ["fix.done"]
    assert done[0].text.params["result"].params["mark"] == 3
    with Session(staff.engine) as session:
        fixed = session.exec(select(Feedback)).one()
        audit = session.exec(select(AuditLog).where(AuditLog.action == "feedback.corrected")).one()
        status = session.get(Submission, sub_id)
    assert (fixed.points, fixed.mark, fixed.text) == (12.0, 3, "Task 3 was wrong after all")
    assert fixed.corrected_at is not None and status is not None and status.status == SubmissionStatus.GRADED
    assert audit.detail["before"] == {"points": 17.0, "formative_score": None, "mark": 5, "text": "Good"}
    told = {n.person_id for n in staff.outbox() if n.idempotency_key.startswith("correction:")}
    assert told == {staff.ids["p1"], staff.ids["g1"]}


def test_the_assistant_marks_attendance_of_the_group_they_assist(staff: StaffWorld) -> None:
    sheet = staff.say("a1", "/attendance")
    assert sheet[0].text.key == "attendance.sheet"
    lesson = staff.lessons["A1"]
    marked = staff.press("a1", f"att:m:{lesson}:{staff.lesson_date.isoformat()}:{staff.ids['p1']}:p")
    assert marked[0].text.key == "attendance.marked"


def test_dates_without_a_year_are_the_nearest_and_the_past_is_refused() -> None:
    assert parse_due("01.12 18:00", datetime(2026, 12, 3, 10)) == datetime(2026, 12, 1, 18)  # past: refused
    assert parse_due("05.01 09:00", datetime(2026, 12, 28, 10)) == datetime(2027, 1, 5, 9)
    assert parse_day("28.12", date(2027, 1, 5)) == date(2026, 12, 28)
    assert parse_day("кеше", date(2026, 12, 3)) == date(2026, 12, 2)


def test_a_homework_deadline_typed_two_days_late_is_refused_not_moved_a_year(staff: StaffWorld) -> None:
    with time_machine.travel(datetime(2026, 12, 3, 6, 0, tzinfo=UTC)):  # 11:00 in Almaty
        staff.say("t1", "/homework")
        staff.press("t1", f"hw:group:{staff.groups['A1']}")
        staff.say("t1", "§3")
        assert keys(staff.say("t1", "01.12 18:00")) == ["homework.due_past"]


# ---------------------------------------------------------------- 10: paper applications


def test_a_class_teacher_records_a_paper_consent_and_then_a_withdrawal(staff: StaffWorld) -> None:
    p3 = staff.ids["p3"]
    for kind, expected in (("given", True), ("withdrawn", False)):
        assert keys(staff.say("c1", "/paper")) == ["paper.ask_pupil"]
        found = staff.say("c1", "касым")
        assert [c.value for c in found[0].choices] == [f"pa:pupil:{p3}"]
        assert keys(staff.press("c1", f"pa:pupil:{p3}")) == ["paper.ask_kind"]
        assert keys(staff.press("c1", f"pa:kind:{kind}")) == ["paper.ask_date"]
        assert keys(staff.say("c1", "31.12.2999")) == ["paper.date_future"]
        assert keys(staff.say("c1", "кеше")) == ["paper.ask_photo"]
        assert keys(staff.photos("c1", page_image())) == ["paper.summary"]
        saved = staff.press("c1", "pa:save")
        assert keys(saved) == [f"paper.saved_{kind}"]
        with Session(staff.engine) as session:
            latest = session.exec(
                select(Consent).where(Consent.pupil_id == p3).order_by(col(Consent.id).desc())
            ).first()
        assert latest is not None and latest.given is expected and latest.channel == "paper"
        assert latest.recorded_by_id == staff.ids["c1"] and Path(latest.document_path or "").is_file()
    with Session(staff.engine) as session:
        actions = [
            a.action for a in session.exec(select(AuditLog).where(AuditLog.actor_id == staff.ids["c1"]))
        ]
    assert actions == ["consent.paper_given", "consent.paper_withdrawn"]
    assert keys(staff.say("c2", "/paper")) == ["paper.ask_pupil"]
    assert keys(staff.say("c2", "касым")) == ["paper.no_pupil"]  # not c2's class


# ---------------------------------------------------------------- 6 and 7: posts, announcements


def test_a_tutor_posts_a_recording_link_to_pupils_and_parents(staff: StaffWorld) -> None:
    assert keys(staff.say("t1", "/share")) == ["post.ask_material"]
    assert keys(staff.say("t1", "Recording: https://example.org/rec/42")) == ["post.ask_audience"]
    preview = staff.press("t1", "gp:aud:families")
    assert keys(preview) == ["post.message", "post.preview"]
    sent = staff.press("t1", "gp:send")
    assert sent[0].text.key == "post.sent"
    rows = staff.outbox("broadcast")
    # p3 has no consent: neither p3 nor p3's parent about p3; p1, p2 and their parents
    assert {n.person_id for n in rows} == {staff.ids[n] for n in ("p1", "p2", "g1", "g2")}
    report = staff.press("t1", sent[0].choices[0].value)
    assert keys(report) == ["broadcast.report"]


def test_a_broadcast_in_quiet_hours_says_when_it_goes(staff: StaffWorld) -> None:
    quiet = replace(staff.config, quiet=(time(21, 0), time(8, 0)))
    world = replace(staff, config=quiet)
    with time_machine.travel(datetime(2026, 12, 3, 16, 5, tzinfo=UTC)):  # 21:05 in Almaty
        world.say("c1", "/broadcast")
        world.say("c1", "Meeting on Friday")
        world.press("c1", "bc:aud:guardians")
        sent = world.press("c1", "bc:send:normal")
    assert keys(sent) == ["broadcast.sent", "broadcast.quiet_wait"]
    assert sent[1].text.params == {"time": "08:00"}


def test_a_scheduled_broadcast_goes_later_and_can_be_called_off(staff: StaffWorld) -> None:
    with time_machine.travel(datetime(2026, 12, 3, 6, 0, tzinfo=UTC)):
        staff.say("c1", "/broadcast")
        staff.say("c1", "Bring the documents")
        staff.press("c1", "bc:aud:guardians")
        assert keys(staff.press("c1", "bc:later")) == ["broadcast.schedule.ask"]
        assert keys(staff.say("c1", "01.12 18:00")) == ["homework.due_past"]
        done = staff.say("c1", "04.12 18:00")
        assert keys(done) == ["broadcast.schedule.done"]
        rows = staff.outbox("broadcast")
        assert rows and all(
            r.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 4, 13, 0, tzinfo=UTC) for r in rows
        )
        listed = staff.say("c1", "/scheduled")
        assert keys(listed) == ["broadcast.schedule.item"]
        dropped = staff.press("c1", listed[0].choices[0].value)
    assert dropped[0].text.key == "broadcast.schedule.dropped"
    assert {r.status for r in staff.outbox("broadcast")} == {NotificationStatus.CANCELLED.value}
    with Session(staff.engine) as session:
        broadcast = session.exec(select(Broadcast)).one()
    assert broadcast.cancelled_at is not None
