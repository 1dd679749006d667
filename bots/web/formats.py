"""How the monitoring's figures read, on the pages and in the PDF reports alike: a percentage, a
number, a signed change; "—" for one that cannot be counted yet (nothing to count)."""

from __future__ import annotations


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+g}" if signed else f"{value:g}"
