"""The tutor's review queue, feedback and grades, in-process through the handlers' entry point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import translate
from models import Feedback, Submission
from models.clock import utcnow
from models.enums import HomeworkKind
from outbox.write import stored_text
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def submission(world: World, pupil: str = "p1") -> Submission:
    with Session(world.engine) as session:
        return session.exec(select(Submission).where(Submission.pupil_id == world.ids[pupil])).one()


def test_review_shows_each_submission_with_its_pages_and_a_pdf_on_request(world: World) -> None:
    world.homework()
    world.photos("p1", page_image("white"), page_image("gray"))
    world.photos("p2", page_image("black"))
    shown = world.say("t1", "/review")
    assert keys(shown) == ["review.item", "review.page", "review.page"]
    assert shown[0].text.params["pupil"] == "Нұрлан Сейітов" and shown[0].text.params["total"] == 2
    assert all(reply.media_path and Path(reply.media_path).exists() for reply in shown[1:])
    sub = submission(world)
    values = [c.value for c in shown[-1].choices]
    assert values == [f"rv:pdf:{sub.id}", f"rv:grade:{sub.id}", f"rv:redo:{sub.id}", f"rv:next:{sub.id}"]
    [pdf] = world.press("t1", f"rv:pdf:{sub.id}")
    assert pdf.text.key == "review.pdf" and pdf.media_path is not None
    assert Path(pdf.media_path).read_bytes().startswith(b"%PDF")
    following = world.press("t1", f"rv:next:{sub.id}")
    assert keys(following) == ["review.item", "review.page"]
    assert following[0].text.params["pupil"] == "Аружан Бекова"


def test_summative_grade_reaches_pupil_and_guardian_with_points_percent_and_mark(world: World) -> None:
    world.homework(kind=HomeworkKind.SUMMATIVE, max_points=20)
    world.photos("p1", page_image())
    sub = submission(world)
    world.say("t1", "/review")
    assert keys(world.press("t1", f"rv:grade:{sub.id}")) == ["review.ask_points"]
    assert keys(world.say("t1", "21")) == ["review.points_invalid"]
    assert keys(world.say("t1", "16,5")) == ["review.ask_comment"]
    done = world.say("t1", "Good work, check task 4.")
    assert keys(done) == ["review.graded_as", "review.empty"]
    assert submission(world).status == "graded"
    with Session(world.engine) as session:
        feedback = session.exec(select(Feedback)).one()
        assert (feedback.points, feedback.max_points, feedback.mark) == (16.5, 20, 4)
    [to_pupil] = world.outbox("feedback")
    [to_guardian] = world.outbox("grade")
    assert to_pupil.person_id == world.ids["p1"]
    assert to_guardian.person_id == world.ids["g1"] and to_guardian.about_pupil_id == world.ids["p1"]
    text = stored_text(to_guardian).render("ru")  # the guardian reads Russian
    assert text == translate(
        "ru",
        "review.notify.grade_points",
        pupil="Нұрлан Сейітов",
        subject=translate("ru", "subject.algebra"),
        title="Page 42, tasks 1-5",
        comment="Good work, check task 4.",
        points="16.5",
        max=20,
        percent="82.5",
        mark=4,
    )


def test_formative_score_typed_as_a_number_and_no_comment(world: World) -> None:
    world.homework()
    world.photos("p2", page_image())
    sub = submission(world, "p2")
    world.say("t1", "/review")
    assert keys(world.press("t1", f"rv:grade:{sub.id}")) == ["review.ask_score"]
    assert keys(world.say("t1", "7")) == ["review.ask_comment"]
    world.say("t1", "-")
    with Session(world.engine) as session:
        feedback = session.exec(select(Feedback)).one()
        assert feedback.formative_score == 7 and feedback.text == "" and feedback.mark is None
    [to_pupil] = world.outbox("feedback")
    assert "7/10" in stored_text(to_pupil).render("en")
    assert [n.person_id for n in world.outbox("grade")] == [world.ids["g2"]]


def test_unscored_work_gets_a_comment_only(world: World) -> None:
    world.homework(scored=False)
    world.photos("p1", page_image())
    sub = submission(world)
    world.say("t1", "/review")
    assert keys(world.press("t1", f"rv:grade:{sub.id}")) == ["review.ask_comment"]
    world.say("t1", "Neat.")
    assert [n.key for n in world.outbox("feedback")] == ["review.notify.feedback"]
    assert world.outbox("grade") == []


def test_return_for_redo_lets_the_pupil_hand_in_again(world: World) -> None:
    world.homework()
    world.photos("p1", page_image())
    sub = submission(world)
    world.say("t1", "/review")
    assert keys(world.press("t1", f"rv:redo:{sub.id}")) == ["review.ask_redo_comment"]
    assert keys(world.say("t1", "Show the working for task 3")) == ["review.returned_with", "review.empty"]
    [redo] = world.outbox("feedback")
    assert redo.key == "review.notify.redo" and redo.person_id == world.ids["p1"]
    again = world.photos("p1", page_image("gray"))
    assert keys(again) == ["homework.receipt"] and again[0].text.params["pages"] == 1
    shown = world.say("t1", "/review")
    assert keys(shown) == ["review.item", "review.page"]


def test_graded_work_cannot_be_replaced_or_graded_twice(world: World) -> None:
    world.homework()
    [receipt] = world.photos("p1", page_image())
    sub = submission(world)
    world.press("t1", f"rv:grade:{sub.id}")
    world.press("t1", "rv:score:skip")
    world.say("t1", "ok")
    assert keys(world.press("p1", receipt.choices[0].value)) == ["homework.replace_too_late"]
    assert keys(world.press("t1", f"rv:grade:{sub.id}")) == ["review.already_done", "review.empty"]


def test_work_replaced_while_in_review_is_not_graded(world: World) -> None:
    world.homework()
    [receipt] = world.photos("p1", page_image())
    sub = submission(world)
    world.say("t1", "/review")
    world.press("t1", f"rv:grade:{sub.id}")
    world.press("p1", receipt.choices[0].value)
    assert keys(world.press("t1", "rv:score:5")) == ["review.replaced_meanwhile", "review.empty"]
    with Session(world.engine) as session:
        assert session.exec(select(Feedback)).all() == []


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("who", ["p1", "g1"])
def test_a_pupil_or_parent_cannot_review(world: World, who: str) -> None:
    world.homework()
    world.photos("p2", page_image())
    sub = submission(world, "p2")
    assert keys(world.say(who, "/review")) == ["review.only_tutor"]
    for action in ("pdf", "grade", "redo", "next"):
        assert keys(world.press(who, f"rv:{action}:{sub.id}")) == ["common.not_allowed"]
    assert submission(world, "p2").status == "submitted"


def test_a_tutor_sees_and_touches_only_their_own_groups_work(world: World) -> None:
    world.homework("F1", text="Physics: lab report")
    world.photos("p4", page_image())
    sub = submission(world, "p4")
    assert keys(world.say("t1", "/review")) == ["review.empty"]
    for action in ("pdf", "grade", "redo", "next"):
        assert keys(world.press("t1", f"rv:{action}:{sub.id}")) == ["common.not_allowed"]
    assert keys(world.say("t2", "/review"))[0] == "review.item"
    assert submission(world, "p4").status == "submitted"
    assert world.outbox("feedback") == []


def test_a_grade_left_for_hours_is_not_finished_by_the_next_message(world: World) -> None:
    world.homework(kind=HomeworkKind.SUMMATIVE, max_points=20)
    world.photos("p1", page_image())
    sub = submission(world)
    world.press("t1", f"rv:grade:{sub.id}")
    with time_machine.travel(utcnow() + timedelta(hours=7)):
        assert keys(world.say("t1", "17")) == ["review.expired"]
    assert submission(world).status == "submitted"
