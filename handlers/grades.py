"""Grades, as pure functions: the checks on what a tutor types (summative points, the formative
score of 1–10). The 5-point mark of the national percentage bands is `assessment.marks`.

Summative work and diagnostics keep points and a maximum; their 5-point mark follows the bands
85–100 % → 5, 65–84 % → 4, 40–64 % → 3, below 40 % → 2. Formative work may carry a score of 1–10.
"""

from __future__ import annotations

import re

FORMATIVE_MIN = 1
FORMATIVE_MAX = 10
MAX_POINTS_LIMIT = 1000

_NUMBER = re.compile(r"^\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*$")


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
