"""The grading table the /homework flow and the notice of new homework share: a stored homework
reads back as the choice it was set with, so its notice (when set, and again at catch-up) names a ТЖБ
or a diagnostic as the tutor chose; a form begun before the choices were split still confirms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.gradings import GRADINGS, NONE, chosen, grading_of, grading_text
from locales import LANGUAGES, plurals
from models.enums import HomeworkKind, WorkLabel
from models.homework import Homework

DUE = datetime(2026, 12, 10, 13, 0, tzinfo=UTC)


def _set_as(name: str) -> Homework:
    grading = GRADINGS[name]
    return Homework(
        group_id=1,
        text="…",
        kind=grading.kind,
        label=grading.label,
        scored=grading.scored,
        max_points=20 if grading.in_points else None,
        due_at=DUE,
    )


@pytest.mark.parametrize("name", list(GRADINGS))
def test_a_stored_homework_reads_back_as_the_choice_it_was_set_with(name: str) -> None:
    assert grading_of(_set_as(name)) is GRADINGS[name]


def test_the_notice_names_the_terms_summative_and_a_diagnostic_with_their_maximum() -> None:
    term = grading_text(grading_of(_set_as("term")), 20)
    final = grading_text(grading_of(_set_as("final")), 20)
    assert term.render("ru") == "суммативное оценивание за четверть (СОч), из 20 баллов"
    assert final.render("ru") == "итоговая диагностика, из 20 баллов"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_maximum_in_points_takes_its_plural_form(language: str) -> None:
    """Each grading in points names its maximum through a plural entry of every catalogue: 21 and 25
    points are "балла" and "баллов" in Russian."""
    for grading in GRADINGS.values():
        if grading.in_points:
            assert len(plurals(language)[grading.summary]) == len(plurals(language)["review.pdf"])
    section = GRADINGS["section"]
    assert grading_text(section, 21).render("ru").endswith("из 21 балла")
    assert grading_text(section, 25).render("ru").endswith("из 25 баллов")
    assert grading_text(section, 1).render("en").endswith("out of 1 point")


def test_a_summative_work_set_before_labels_reads_as_a_sections() -> None:
    old = Homework(group_id=1, text="…", kind=HomeworkKind.SUMMATIVE, scored=True, max_points=20, due_at=DUE)
    assert grading_of(old) is GRADINGS["section"]
    assert GRADINGS["section"].label == WorkLabel.SECTION


def test_a_form_begun_before_the_split_keeps_its_summative_choice() -> None:
    assert chosen("summative") is GRADINGS["section"]
    assert chosen("entry") is GRADINGS["entry"]
    assert chosen(None) is NONE and chosen("anything") is NONE
