"""The national bands for the 5-point mark and the checks on typed points and scores."""

from __future__ import annotations

import pytest

from assessment import marks
from handlers import grades


@pytest.mark.parametrize(
    ("percent", "mark"),
    [(100, 5), (85, 5), (84.9, 4), (65, 4), (64.9, 3), (40, 3), (39.9, 2), (0, 2)],
)
def test_band_edges(percent: float, mark: int) -> None:
    assert marks.mark_for_percentage(percent) == mark


@pytest.mark.parametrize(
    ("points", "max_points", "mark"),
    [
        (17, 20, 5),
        (16.9, 20, 4),
        (16, 20, 4),
        (13, 20, 4),
        (12.9, 20, 3),
        (8, 20, 3),
        (7.9, 20, 2),
        (0, 20, 2),
        (849.99, 1000, 4),
        (850, 1000, 5),
    ],
)
def test_points_to_mark(points: float, max_points: int, mark: int) -> None:
    assert marks.mark_for(points, max_points) == mark


def test_percentage_is_exact_at_the_edges() -> None:
    assert marks.percentage(17, 20) == 85.0
    assert marks.percentage(13, 20) == 65.0
    assert marks.percentage(1, 3) == 33.33


@pytest.mark.parametrize("bad", [-1, 100.1])
def test_percentage_out_of_range_is_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        marks.mark_for_percentage(bad)


def test_points_beyond_the_maximum_are_refused() -> None:
    with pytest.raises(ValueError):
        marks.percentage(21, 20)
    with pytest.raises(ValueError):
        marks.percentage(1, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("17", 17.0), (" 16,5 ", 16.5), ("0", 0.0), ("20", 20.0), ("20.5", None), ("-1", None), ("abc", None)],
)
def test_parse_points(text: str, expected: float | None) -> None:
    assert grades.parse_points(text, 20) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ("10", 10), ("7", 7), ("0", None), ("11", None), ("7.5", None), ("", None), ("жеті", None)],
)
def test_parse_formative_score(text: str, expected: int | None) -> None:
    assert grades.parse_formative_score(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("20", 20), ("1", 1), ("0", None), ("2.5", None), ("5000", None)]
)
def test_parse_max_points(text: str, expected: int | None) -> None:
    assert grades.parse_max_points(text) == expected


def test_format_points() -> None:
    assert grades.format_points(17.0) == "17"
    assert grades.format_points(16.5) == "16.5"
