"""The 5-point mark from a percentage, by the national bands: 85–100 % → 5, 65–84 % → 4,
40–64 % → 3, below 40 % → 2 (grades 2–11; the Typical rules of ongoing monitoring, Order No. 125 of
18 March 2008, appendix 1). Exact arithmetic on the decimal values, so a share of 84.996 % is never
lifted into the top band by a rounded display."""

from __future__ import annotations

from fractions import Fraction

# (lowest percentage, mark), highest band first
BANDS: tuple[tuple[Fraction, int], ...] = ((Fraction(85), 5), (Fraction(65), 4), (Fraction(40), 3))
LOWEST_MARK = 2


def exact_percentage(points: float, max_points: int) -> Fraction:
    if max_points <= 0:
        raise ValueError("max_points must be positive")
    if not 0 <= points <= max_points:
        raise ValueError("points must lie between 0 and max_points")
    # From the decimal text, so 16.9 is 169/10 and not the nearest binary fraction.
    return Fraction(str(points)) * 100 / max_points


def percentage(points: float, max_points: int) -> float:
    """Points as a percentage of the maximum, for showing (rounded to hundredths)."""
    return round(float(exact_percentage(points, max_points)), 2)


def mark_of(share: Fraction) -> int:
    """The mark of an exact percentage."""
    if not 0 <= share <= 100:
        raise ValueError("percentage must lie between 0 and 100")
    return next((mark for lowest, mark in BANDS if share >= lowest), LOWEST_MARK)


def mark_for_percentage(percent: float) -> int:
    """The 5-point mark for a percentage by the national bands."""
    return mark_of(Fraction(str(percent)))


def mark_for(points: float, max_points: int) -> int:
    """The mark from the exact share of the points."""
    return mark_of(exact_percentage(points, max_points))
