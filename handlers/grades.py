"""Grades, as pure functions: the national percentage bands for the 5-point mark, and the checks on
what a tutor types (summative points, the formative score of 1–10).

Summative work keeps points and a maximum; its 5-point mark follows the bands 85–100 % → 5,
65–84 % → 4, 40–64 % → 3, below 40 % → 2. Formative work may carry a score of 1–10.
"""

from __future__ import annotations

import re
from fractions import Fraction

FORMATIVE_MIN = 1
FORMATIVE_MAX = 10
MAX_POINTS_LIMIT = 1000
# (lowest percentage, mark), highest band first
BANDS: tuple[tuple[float, int], ...] = ((85.0, 5), (65.0, 4), (40.0, 3))
LOWEST_MARK = 2

_NUMBER = re.compile(r"^\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*$")


def _exact_percentage(points: float, max_points: int) -> Fraction:
    if max_points <= 0:
        raise ValueError("max_points must be positive")
    if not 0 <= points <= max_points:
        raise ValueError("points must lie between 0 and max_points")
    # From the decimal text, so 16.9 is 169/10 and not the nearest binary fraction.
    return Fraction(str(points)) * 100 / max_points


def percentage(points: float, max_points: int) -> float:
    """Points as a percentage of the maximum, for showing (rounded to hundredths)."""
    return round(float(_exact_percentage(points, max_points)), 2)


def mark_for_percentage(percent: float) -> int:
    """The 5-point mark for a percentage by the national bands."""
    if not 0 <= percent <= 100:
        raise ValueError("percentage must lie between 0 and 100")
    for lowest, mark in BANDS:
        if Fraction(str(percent)) >= Fraction(str(lowest)):
            return mark
    return LOWEST_MARK


def mark_for(points: float, max_points: int) -> int:
    """The mark from the exact share, so a rounded display never lifts 84.996 % into the top band."""
    exact = _exact_percentage(points, max_points)
    for lowest, mark in BANDS:
        if exact >= Fraction(str(lowest)):
            return mark
    return LOWEST_MARK


def _number(text: str) -> float | None:
    found = _NUMBER.match(text)
    return float(found.group(1).replace(",", ".")) if found else None


def parse_points(text: str, max_points: int) -> float | None:
    """Points typed by the tutor ("17", "16,5"), or None unless 0 ≤ points ≤ max_points."""
    value = _number(text)
    if value is None or not 0 <= value <= max_points:
        return None
    return value


def parse_max_points(text: str) -> int | None:
    """A whole maximum of points between 1 and MAX_POINTS_LIMIT, or None."""
    value = _number(text)
    if value is None or value != int(value) or not 1 <= value <= MAX_POINTS_LIMIT:
        return None
    return int(value)


def valid_formative_score(score: int) -> bool:
    return FORMATIVE_MIN <= score <= FORMATIVE_MAX


def parse_formative_score(text: str) -> int | None:
    """A whole formative score of 1–10, or None."""
    value = _number(text)
    if value is None or value != int(value) or not valid_formative_score(int(value)):
        return None
    return int(value)


def format_points(points: float) -> str:
    """17.0 → "17", 16.5 → "16.5"."""
    return str(int(points)) if points == int(points) else f"{points:g}"
