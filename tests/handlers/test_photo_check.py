"""A page a tutor could not read is flagged before it is handed in, with the choice to send it anyway
(through the handlers' entry point)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Submission, SubmissionPage
from tests.support.homework import World, build_world, keys, page_image

pytestmark = pytest.mark.flow


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def dark(colour: str = "white") -> bytes:
    out = io.BytesIO()
    ImageEnhance.Brightness(Image.open(io.BytesIO(page_image(colour)))).enhance(0.15).save(out, "JPEG")
    return out.getvalue()


def pages(world: World) -> list[SubmissionPage]:
    with Session(world.engine) as session:
        return list(session.exec(select(SubmissionPage)).all())


def test_a_dark_photo_is_flagged_and_sent_anyway_on_request(world: World) -> None:
    world.homework()
    [question] = world.photos("p1", dark())
    assert question.text.key == "photo_check.dark" and question.text.params["which"] == ""
    assert question.text.render("kk") == "Фото қараңғы шықты — терезенің жанында қайта түсіріп көресіз бе?"
    assert [c.value for c in question.choices] == ["hw:check:retake", "hw:check:send"]
    assert pages(world) == []  # nothing handed in yet
    assert keys(world.say("p1", "what?")) == ["photo_check.dark"]  # the question again
    assert keys(world.say("p1", "2")) == ["homework.receipt"]  # "send it as it is", typed
    assert len(pages(world)) == 1


def test_retake_drops_the_photo_and_a_new_one_is_handed_in_instead(world: World) -> None:
    world.homework()
    world.photos("p1", dark())
    assert keys(world.press("p1", "hw:check:retake")) == ["photo_check.send_new"]
    assert keys(world.photos("p1", page_image("gray"))) == ["homework.receipt"]
    # A new photo sent without answering is the page taken again.
    world.photos("p2", dark())
    assert keys(world.photos("p2", page_image("yellow"))) == ["homework.receipt"]
    with Session(world.engine) as session:
        assert len(session.exec(select(Submission)).all()) == 2
    assert len(pages(world)) == 2


def test_an_album_is_asked_about_once_and_handed_in_whole(world: World) -> None:
    world.homework()
    [question] = world.photos("p1", page_image("white"), dark("gray"), album="A")
    assert question.text.key == "photo_check.dark"
    assert question.text.params["which"].params == {"page": 2, "pages": 2}
    assert world.photos("p1", page_image("yellow"), album="A") == []  # the rest of the album waits
    [receipt] = world.press("p1", "hw:check:send")
    assert receipt.text.key == "homework.receipt" and receipt.text.params["pages"] == 3


def test_a_small_photo_is_flagged_and_a_readable_one_goes_straight_in(world: World) -> None:
    world.homework()
    assert keys(world.photos("p1", page_image(size=(300, 400)))) == ["photo_check.small"]
    world.press("p1", "hw:check:retake")
    assert keys(world.photos("p1", page_image())) == ["homework.receipt"]


def test_another_pupils_answer_button_changes_nothing(world: World) -> None:
    world.homework()
    world.photos("p1", dark())
    assert keys(world.press("p2", "hw:check:send")) == ["homework.expired"]  # nothing held for p2
    assert keys(world.press("g1", "hw:check:send")) == ["common.not_allowed"]
    assert pages(world) == []
