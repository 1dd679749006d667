"""A copy of another pupil's page is found by its perceptual hash (photos/likeness.py), even when it
is photographed again; different pages of the same look are not taken for copies. The review card
names the other pupil for the tutor, and nobody else is told."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFont
from sqlalchemy import Engine
from sqlmodel import Session, select

from locales import translate
from models import Submission
from models.homework import SubmissionPage
from photos.likeness import SAME_BELOW, distance, perceptual_hash
from photos.pipeline import normalise
from tests.support.homework import World, build_world, keys

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}
PAPER, INK, TABLE = (235, 232, 225), (30, 30, 60), (222, 218, 208)
HEADING = "Worksheet 7. Fractions. Name: ______"


def written(seed: int, *, heading: bool = False, size: tuple[int, int] = (1280, 960)) -> Image.Image:
    """A page of written lines of varying length (a pupil's own answers), optionally under a printed
    worksheet heading every pupil's page shares."""
    rng = random.Random(seed)
    page = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(page)
    face, top = ImageFont.load_default(size=26), 60
    if heading:
        draw.text((60, top), HEADING, fill=INK, font=ImageFont.load_default(size=40))
        top += 90
    while top < size[1] - 80:
        left, limit, line = 60 + rng.randint(0, 40), rng.randint(500, size[0] - 60), ""
        while True:
            word = "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789+=") for _ in range(rng.randint(2, 7))
            )
            if left + draw.textlength(f"{line} {word}", font=face) > limit:
                break
            line = f"{line} {word}"
        draw.text((left, top), line, fill=INK, font=face)
        top += 44
    return page


def photographed_again(
    page: Image.Image,
    *,
    scale: float = 0.8,
    angle: float = 1.5,
    crop: float = 0.02,
    brightness: float = 1.15,
    quality: int = 60,
) -> bytes:
    """The page photographed once more: turned a little, cropped, at another size, lighter or
    darker, and compressed harder."""
    width, height = page.size
    turned = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=TABLE)
    cut = turned.crop(
        (int(width * crop), int(height * crop), int(width * (1 - crop)), int(height * (1 - crop)))
    )
    resized = cut.resize((int(cut.width * scale), int(cut.height * scale)), Image.Resampling.LANCZOS)
    return jpeg(ImageEnhance.Brightness(resized).enhance(brightness), quality)


def jpeg(image: Image.Image, quality: int = 87) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def likeness(data: bytes) -> str:
    found = normalise(data, **LIMITS).likeness
    assert found is not None
    return found


COPIES: dict[str, dict[str, Any]] = {
    "as sent": {},
    "smaller": {"scale": 0.55},
    "turned the other way": {"angle": -2.5},
    "cropped closer": {"crop": 0.03},
    "darker, compressed hard": {"brightness": 0.7, "quality": 40},
    "larger, straight": {"scale": 1.2, "angle": 0.0},
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("change", list(COPIES))
def test_a_page_photographed_again_is_the_same_sheet(change: str, seed: int) -> None:
    original = written(seed)
    assert (
        distance(likeness(jpeg(original)), likeness(photographed_again(original, **COPIES[change])))
        < SAME_BELOW
    )


@pytest.mark.parametrize("heading", [False, True], ids=["lines", "same worksheet"])
def test_different_pages_of_the_same_look_are_not(heading: bool) -> None:
    hashes = [likeness(jpeg(written(seed, heading=heading))) for seed in range(6)]
    nearest = min(distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :])
    assert nearest >= SAME_BELOW


def test_a_blank_page_has_no_likeness_to_compare() -> None:
    """Every blank page looks like every other: it is not compared."""
    assert perceptual_hash(Image.new("RGB", (160, 120), PAPER)) is None
    assert normalise(jpeg(Image.new("RGB", (1280, 960), PAPER)), **LIMITS).likeness is None


# ---------------------------------------------------------------- the review card


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return build_world(engine, tmp_path / "media")


def submission_id(world: World, pupil: str) -> int:
    with Session(world.engine) as session:
        found = session.exec(select(Submission).where(Submission.pupil_id == world.ids[pupil])).one()
        assert found.id is not None
        return found.id


@pytest.mark.flow
def test_the_tutor_is_told_which_pupil_a_page_looks_like_and_nobody_else_is(world: World) -> None:
    world.homework()
    original = written(7)
    world.photos("p1", jpeg(original))
    receipt = world.photos("p2", photographed_again(original))
    assert "copies.warning" not in keys(receipt)  # the pupil is told nothing
    first = world.say("t1", "/review")
    assert keys(first) == ["review.item", "copies.warning", "review.page"]
    assert first[0].text.params["pupil"] == "Нұрлан Сейітов"
    text = first[1].text.render("kk")
    assert "Аружан Бекова" in text and "1-бет" in text
    second = world.press("t1", f"rv:next:{submission_id(world, 'p1')}")
    assert keys(second) == ["review.item", "copies.warning", "review.page"]
    assert "Нұрлан Сейітов" in second[1].text.render("ru")
    assert translate("ru", "copies.line", page=1, pupil="Нұрлан Сейітов", their_page=1) in second[
        1
    ].text.render("ru")
    # nothing about it goes to the pupils or their families
    assert not any(row.key.startswith("copies") for row in world.outbox())
    with Session(world.engine) as session:
        assert all(page.likeness for page in session.exec(select(SubmissionPage)).all())


@pytest.mark.flow
def test_pages_of_the_same_worksheet_written_differently_are_not_flagged(world: World) -> None:
    world.homework()
    world.photos("p1", jpeg(written(1, heading=True)))
    world.photos("p2", jpeg(written(2, heading=True)))
    assert keys(world.say("t1", "/review")) == ["review.item", "review.page"]
    assert keys(world.press("t1", f"rv:next:{submission_id(world, 'p1')}")) == ["review.item", "review.page"]
