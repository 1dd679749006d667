"""How the monitoring's figures read, on the pages and in the PDF reports alike: a percentage, a
number, a signed change; "—" for one that cannot be counted yet (nothing to count); absences by
reason."""

from __future__ import annotations

from collections import Counter

from locales import translate


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+g}" if signed else f"{value:g}"


def absences(reasons: Counter[str], excused: int, lang: str) -> str:
    """Absences by the reason families reported, the most frequent first, then how many the tutor
    or assistant excused: "no internet 2, ill 1; excused: 1"; "" when there is neither."""
    given = ", ".join(
        f"{translate(lang, f'problems.reason.{reason}')} {count}" for reason, count in reasons.most_common()
    )
    parts = [given] if given else []
    if excused:
        parts.append(translate(lang, "overview.excused", count=excused))
    return "; ".join(parts)
