"""Homework, in-process through the handlers' entry point on a real store: the tutor sets it, pupils
are notified through the outbox, pupils hand in photos and get receipts."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Homework, Submission, SubmissionPage, ThreadMessage, TutoringGroup
from models.clock import utcnow
from models.store import session_scope
from outbox.write import stored_text
from tests.support.homework import World, build_world, keys, page_image, pixel_bomb

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def pages_of(world: World) -> list[SubmissionPage]:
    with Session(world.engine) as session:
        return list(session.exec(select(SubmissionPage).order_by(col(SubmissionPage.id))).all())


def submissions(world: World) -> list[Submission]:
    with Session(world.engine) as session:
        return list(session.exec(select(Submission).order_by(col(Submission.id))).all())


# ---------------------------------------------------------------- setting homework


def test_tutor_sets_scored_homework_and_consenting_pupils_are_notified(world: World) -> None:
    ask = world.say("t1", "/homework")
    assert keys(ask) == ["homework.ask_group"]
    assert [c.value for c in ask[0].choices] == [f"hw:group:{world.groups['A1']}"]
    assert keys(world.press("t1", f"hw:group:{world.groups['A1']}")) == ["homework.ask_text"]
    assert keys(world.say("t1", "§12, exercises 1–5")) == ["homework.ask_due"]
    assert keys(world.say("t1", "next week-ish")) == ["homework.due_invalid"]
    assert keys(world.say("t1", "yesterday")) == ["homework.due_past"]
    assert keys(world.say("t1", "01.01.2020 10:00")) == ["homework.due_past"]
    grading = world.say("t1", "tomorrow 18:00")
    assert keys(grading) == ["homework.ask_grading"]
    assert keys(world.press("t1", "hw:kind:section")) == ["homework.ask_max"]
    assert keys(world.say("t1", "0")) == ["homework.max_invalid"]
    summary = world.say("t1", "20")
    assert keys(summary) == ["homework.summary"]
    assert summary[0].text.params["text"] == "§12, exercises 1–5"
    done = world.say("t1", "1")  # the first offered choice, typed: "Send"
    # p1 and p2 are in a chat and are told; p3 has no consent and is not.
    assert keys(done) == ["homework.created_partly"]
    assert (done[0].text.params["reached"], done[0].text.params["total"]) == (2, 3)
    assert [text.key for text in done[0].text.params["rest"].texts] == ["homework.created_no_consent"]
    with Session(world.engine) as session:
        homework = session.exec(select(Homework)).one()
        assert homework.kind == "summative" and homework.scored and homework.max_points == 20
        due_local = homework.due_at.astimezone(world.config.time_zone)
        assert (due_local.hour, due_local.minute) == (18, 0)
        assert due_local.date() == (utcnow().astimezone(world.config.time_zone) + timedelta(days=1)).date()
    sent = world.outbox("homework.new")
    assert sorted(n.person_id for n in sent) == sorted([world.ids["p1"], world.ids["p2"]])  # not p3
    assert "§12, exercises 1–5" in stored_text(sent[0]).render("kk")


def test_homework_with_a_photo_and_no_grade_carries_the_stripped_photo(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    assert keys(world.photos("t1", page_image(), text="Solve the tasks on the photo")) == ["homework.ask_due"]
    world.say("t1", "25.12.2099 09:30")
    summary = world.press("t1", "hw:kind:none")
    assert keys(summary) == ["homework.summary"]
    assert keys(world.press("t1", "hw:confirm:yes")) == ["homework.created_partly"]  # p3: no consent
    with Session(world.engine) as session:
        homework = session.exec(select(Homework)).one()
        assert not homework.scored and homework.attachment_path
    [first, _second] = world.outbox("homework.new")
    assert first.media_path == homework.attachment_path
    assert b"PhoneMaker" not in Path(homework.attachment_path).read_bytes()


def test_homework_with_a_worksheet_file_keeps_the_file(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    assert keys(world.document("t1", b"%PDF-1.4 worksheet", "sheet.pdf", "application/pdf")) == [
        "homework.attachment_kept"
    ]
    world.say("t1", "Do the worksheet")
    world.say("t1", "2099-12-25")
    world.press("t1", "hw:kind:formative")
    assert keys(world.press("t1", "hw:confirm:no")) == ["homework.cancelled"]
    assert world.outbox() == []
    with Session(world.engine) as session:
        assert session.exec(select(Homework)).all() == []


@pytest.mark.parametrize("who", ["p1", "g1"])
def test_a_pupil_or_parent_sees_their_homework_and_cannot_set_any(world: World, who: str) -> None:
    assert keys(world.say(who, "/homework")) == ["record.hw.empty"]  # theirs (none yet), not the tutor's flow
    assert keys(world.press(who, f"hw:group:{world.groups['A1']}")) == ["common.not_allowed"]


def test_a_tutor_without_a_group_is_told_so(world: World) -> None:
    with session_scope(world.engine) as session:
        group = session.get(TutoringGroup, world.groups["F1"])
        assert group is not None
        group.tutor_id = None
    assert keys(world.say("t2", "/homework")) == ["homework.no_groups"]
    assert keys(world.say("t2", "/review")) == ["homework.no_groups"]


def test_a_tutor_cannot_set_homework_for_another_tutors_group(world: World) -> None:
    ask = world.say("t2", "/homework")
    assert [c.value for c in ask[0].choices] == [f"hw:group:{world.groups['F1']}"]
    assert keys(world.press("t2", f"hw:group:{world.groups['A1']}")) == ["common.not_allowed"]


# ---------------------------------------------------------------- handing in


def test_one_photo_gets_a_receipt_and_is_stored_without_exif(world: World) -> None:
    homework_id = world.homework()
    [receipt] = world.photos("p1", page_image())
    assert receipt.text.key == "homework.receipt"
    assert receipt.text.params["pages"] == 1 and receipt.text.params["title"] == "Page 42, tasks 1-5"
    [page] = pages_of(world)
    assert receipt.text.params["hash"] == page.sha256[:8]
    stored = Path(page.path).read_bytes()
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert 0x8825 not in image.getexif() and "exif" not in image.info
    [submission] = submissions(world)
    assert submission.homework_id == homework_id and not submission.late
    assert [c.value for c in receipt.choices] == [f"hw:replace:{submission.id}"]


def test_an_album_and_later_messages_within_the_window_make_one_submission(world: World) -> None:
    world.homework()
    album = [page_image(colour) for colour in ("white", "gray", "black")]
    replies = world.photos("p1", *album, album="A-1")
    assert keys(replies) == ["homework.receipt"] and replies[0].text.params["pages"] == 3
    more = world.photos("p1", page_image("red"))
    assert more[0].text.params["pages"] == 4
    assert len(submissions(world)) == 1
    assert [p.number for p in pages_of(world)] == [1, 2, 3, 4]


def test_an_album_split_over_several_updates_asks_which_homework_once(world: World) -> None:
    first = world.homework(text="Algebra: page 10")
    world.homework(text="Algebra: page 11", due=utcnow() + timedelta(days=5))
    ask = world.photos("p1", page_image("white"), album="B-7")
    assert keys(ask) == ["homework.ask_which"]
    assert world.photos("p1", page_image("gray"), album="B-7") == []
    receipt = world.say("p1", "1")  # the question's choices are still the offered ones
    assert keys(receipt) == ["homework.receipt"] and receipt[0].text.params["pages"] == 2
    [submission] = submissions(world)
    assert submission.homework_id == first


def test_a_typed_number_picks_the_homework(world: World) -> None:
    world.homework(text="Algebra: page 10")
    second = world.homework(text="Algebra: page 11", due=utcnow() + timedelta(days=5))
    world.photos("p1", page_image())
    assert keys(world.say("p1", "2")) == ["homework.receipt"]
    assert submissions(world)[0].homework_id == second


def test_late_work_is_accepted_and_marked_late(world: World) -> None:
    world.homework(due=utcnow() - timedelta(hours=3))
    [receipt] = world.photos("p1", page_image())
    assert receipt.text.key == "homework.receipt_late"
    assert submissions(world)[0].late


@pytest.mark.usefixtures("daytime")  # a family writing in quiet hours is told when to expect an answer
def test_homework_long_past_its_deadline_is_no_longer_open(world: World) -> None:
    world.homework(due=utcnow() - timedelta(days=30))
    assert keys(world.photos("p1", page_image())) == ["threads.photo_not_homework", "threads.sent.tutor"]
    assert submissions(world) == []


def test_replace_before_review_starts_a_new_submission(world: World) -> None:
    world.homework()
    [receipt] = world.photos("p1", page_image("white"), page_image("gray"))
    assert keys(world.press("p1", receipt.choices[0].value)) == ["homework.replaced"]
    [again] = world.photos("p1", page_image("black"))
    assert again.text.params["pages"] == 1
    assert [s.status for s in submissions(world)] == ["replaced", "submitted"]


def test_replace_by_command_and_nothing_to_replace(world: World) -> None:
    assert keys(world.say("p1", "/replace")) == ["homework.nothing_to_replace"]
    world.homework()
    world.photos("p1", page_image())
    assert keys(world.say("p1", "/replace")) == ["homework.replaced"]


def test_a_pupil_cannot_replace_another_pupils_work(world: World) -> None:
    world.homework()
    [receipt] = world.photos("p1", page_image())
    assert keys(world.press("p2", receipt.choices[0].value)) == ["common.not_allowed"]
    assert submissions(world)[0].status == "submitted"


def test_an_image_sent_as_a_file_is_accepted(world: World) -> None:
    world.homework()
    out = io.BytesIO()
    Image.open(io.BytesIO(page_image(size=(800, 1000)))).save(out, "PNG")
    replies = world.document("p2", out.getvalue(), "page1.png", "image/png")
    assert keys(replies) == ["homework.receipt"]
    assert replies[0].locale == "en"


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "size", "key"),
    [
        (b"%PDF-1.4 my essay", "essay.pdf", "application/pdf", 0, "homework.photo.not_image"),
        (b"", "huge.jpg", "image/jpeg", 30 * 1024 * 1024, "homework.photo.too_big"),
        (page_image()[:400], "cut.jpg", "image/jpeg", 0, None),
        (pixel_bomb(), "bomb.png", "image/png", 0, "homework.photo.too_many_pixels"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_lost(
    world: World, data: bytes, filename: str, content_type: str, size: int, key: str | None
) -> None:
    world.homework()
    world.photos("p1", page_image("white"))
    replies = world.document("p1", data, filename, content_type, size=size)
    assert len(replies) == 1
    if key is None:
        assert replies[0].text.key in ("homework.photo.broken", "homework.photo.not_image")
    else:
        assert replies[0].text.key == key
    assert len(pages_of(world)) == 1
    assert submissions(world)[0].status == "submitted"
    later = world.photos("p1", page_image("gray"))
    assert later[0].text.params["pages"] == 2


def test_a_refusal_is_in_the_pupils_language(world: World) -> None:
    world.homework()
    [reply] = world.document("p2", b"hello", "notes.txt", "text/plain")
    assert reply.locale == "en" and reply.text.key == "homework.photo.not_image"


@pytest.mark.usefixtures("daytime")  # a family writing in quiet hours is told when to expect an answer
def test_a_photo_with_no_open_homework_goes_to_the_tutor_as_a_message(world: World) -> None:
    assert keys(world.photos("p1", page_image())) == ["threads.photo_not_homework", "threads.sent.tutor"]
    with Session(world.engine) as session:
        [message] = session.exec(select(ThreadMessage)).all()
    assert message.kind == "photo" and pages_of(world) == []


def test_a_pupil_without_consent_is_told_a_parent_must_agree(world: World) -> None:
    world.homework()
    assert keys(world.photos("p3", page_image())) == ["consent.pupil_needs_parent"]
    assert submissions(world) == []


def test_a_pupil_cannot_hand_in_for_another_groups_homework(world: World) -> None:
    world.homework()
    other = world.homework("F1", text="Physics: lab report")
    world.photos("p1", page_image())
    assert keys(world.press("p1", f"hw:pick:{other}")) == ["common.not_allowed"]


def test_window_expiry_starts_the_question_again(world: World) -> None:
    first = world.homework(text="Algebra: page 10")
    world.homework(text="Algebra: page 11", due=utcnow() + timedelta(days=5))
    world.photos("p1", page_image())
    world.press("p1", f"hw:pick:{first}")
    assert keys(world.photos("p1", page_image("gray"))) == ["homework.receipt"]
    with time_machine.travel(utcnow() + timedelta(minutes=10)):
        assert keys(world.photos("p1", page_image("black"))) == ["homework.ask_which"]


@pytest.mark.parametrize("who", ["g1", "t1", "t2"])
def test_only_the_pupil_can_pick_or_replace_their_work(world: World, who: str) -> None:
    homework_id = world.homework()
    [receipt] = world.photos("p1", page_image())
    assert keys(world.press(who, f"hw:pick:{homework_id}")) == ["common.not_allowed"]
    assert keys(world.press(who, receipt.choices[0].value)) == ["common.not_allowed"]
    assert submissions(world)[0].status == "submitted"


@pytest.mark.parametrize("who", ["p1", "g1"])
def test_the_tutors_steps_are_refused_to_others(world: World, who: str) -> None:
    for value in ("hw:kind:section", "hw:confirm:yes"):
        assert keys(world.press(who, value)) == ["common.not_allowed"]
    with Session(world.engine) as session:
        assert session.exec(select(Homework)).all() == []


@pytest.mark.usefixtures("daytime")  # a family writing in quiet hours is told when to expect an answer
def test_a_parent_sending_a_photo_is_not_taken_as_homework(world: World) -> None:
    world.homework()
    assert keys(world.photos("g1", page_image())) == ["threads.sent.tutor"]  # the child's one tutor
    assert submissions(world) == []
    with Session(world.engine) as session:
        [message] = session.exec(select(ThreadMessage)).all()
    assert message.kind == "photo" and message.media_path is not None


def test_work_returned_for_redo_is_accepted_after_the_late_window(world: World) -> None:
    world.homework(due=utcnow() + timedelta(hours=1))
    world.photos("p1", page_image())
    [submission] = submissions(world)
    world.press("t1", f"rv:redo:{submission.id}")
    world.say("t1", "Please redo task 2")
    with time_machine.travel(utcnow() + timedelta(days=20)):
        [receipt] = world.photos("p1", page_image("gray"))
    assert receipt.text.key == "homework.receipt_late"
    assert [s.status for s in submissions(world)] == ["returned", "submitted"]


def test_a_question_left_for_hours_does_not_take_the_next_message(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    with time_machine.travel(utcnow() + timedelta(hours=7)):
        assert keys(world.say("t1", "hello, is this on?")) == ["homework.expired"]
        assert keys(world.say("t1", "and now?")) == ["help.menu"]


def test_album_photos_handled_side_by_side_make_one_submission(world: World) -> None:
    from concurrent.futures import ThreadPoolExecutor

    world.homework()
    colours = ("white", "gray", "black", "red", "blue", "green")
    with ThreadPoolExecutor(max_workers=len(colours)) as pool:
        answers = list(pool.map(lambda c: world.photos("p1", page_image(c), album="C-1"), colours))
    assert all(keys(replies) == ["homework.receipt"] for replies in answers)
    assert len(submissions(world)) == 1
    assert sorted(p.number for p in pages_of(world)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.usefixtures("daytime")  # a family writing in quiet hours is told when to expect an answer
def test_a_question_about_homework_closed_meanwhile_is_not_asked(world: World) -> None:
    world.homework(text="Algebra: page 10")
    world.homework(text="Algebra: page 11")
    assert keys(world.photos("p1", page_image())) == ["homework.ask_which"]
    with time_machine.travel(utcnow() + timedelta(days=30)):
        # The question is long over: the words are a message to the tutor, not its answer.
        assert keys(world.say("p1", "which one?")) == ["threads.sent.tutor"]
        assert keys(world.photos("p1", page_image())) == ["threads.photo_not_homework", "threads.sent.tutor"]


def test_a_photo_sent_after_the_task_text_is_attached_too(world: World) -> None:
    world.say("t1", "/homework")
    world.press("t1", f"hw:group:{world.groups['A1']}")
    world.say("t1", "Solve the tasks on the photo")
    assert keys(world.photos("t1", page_image())) == ["homework.attachment_added", "homework.ask_due"]
    world.say("t1", "25.12.2099 09:30")
    assert keys(world.document("t1", b"", "broken.jpg", "image/jpeg")) == ["homework.photo.broken"]
    summary = world.press("t1", "hw:kind:formative")
    assert summary[0].text.params["attachment"].key == "homework.summary.attachment"
    world.press("t1", "hw:confirm:yes")
    with Session(world.engine) as session:
        homework = session.exec(select(Homework)).one()
    assert homework.attachment_path and homework.text == "Solve the tasks on the photo"


def test_the_same_page_sent_twice_is_kept_once(world: World) -> None:
    world.homework()
    world.photos("p1", page_image("white"), page_image("white"))
    [again] = world.photos("p1", page_image("white"))
    assert again.text.key == "homework.receipt" and again.text.params["pages"] == 1
    assert len(pages_of(world)) == 1


def test_photos_left_unassigned_for_hours_do_not_join_new_ones(world: World) -> None:
    first = world.homework(text="Algebra: page 10")
    world.homework(text="Algebra: page 11")
    world.photos("p1", page_image("white"))
    with time_machine.travel(utcnow() + timedelta(hours=7)):
        [ask] = world.photos("p1", page_image("gray"))
        assert ask.text.params["pages"] == 1
        [receipt] = world.press("p1", f"hw:pick:{first}")
    assert receipt.text.params["pages"] == 1
