"""Kazakhstan's school calendar, as data: one TOML file per academic year in `schoolyear/years`
(the Ministry of Enlightenment's order for the year, quarters and school holidays; the public
holidays under the Law on holidays and the Labour Code), each entry with its source and whether its
dates are an estimate. Read once per process."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from models.calendar import CalendarKind
from schoolyear.days import Span

YEARS_DIR = Path(__file__).resolve().parent / "years"


@cache
def national_spans(country: str = "kz") -> tuple[Span, ...]:
    """Every span of every academic year the data holds for `country`."""
    spans: list[Span] = []
    for path in sorted(YEARS_DIR.glob(f"{country}-*.toml")):
        spans.extend(read_year(path))
    return tuple(spans)


def read_year(path: Path) -> list[Span]:
    """One academic year's file as spans; a file that names an unknown source is refused."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sources: dict[str, str] = data.get("sources", {})
    label = str(data["academic_year"])

    def span(kind: CalendarKind, entry: dict[str, Any], name: str = "") -> Span:
        source = str(entry.get("source", ""))
        if source not in sources:
            raise ValueError(f"{path.name}: {kind} {entry} names no known source")
        start: date = entry["start"] if "start" in entry else entry["date"]
        return Span(
            kind=kind,
            start=start,
            end=entry.get("end", start),
            name=name or str(entry.get("name", "")),
            national=True,
            grades=frozenset(entry.get("grades", ())),
            number=int(entry.get("number", 0)),
            moved_from=entry.get("transfer_from"),
            estimate=bool(entry.get("estimate", False)),
            source=source,
        )

    found = [span(CalendarKind.YEAR, data["year"], label)]
    found += [span(CalendarKind.QUARTER, entry) for entry in data.get("quarter", [])]
    found += [span(CalendarKind.BREAK, entry) for entry in data.get("break", [])]
    found += [span(CalendarKind.HOLIDAY, entry) for entry in data.get("holiday", [])]
    return found
