"""How the monitoring's figures read, on the pages and in the PDF reports alike: a percentage, a
number, a signed change, as the reader's language writes them (Babel's CLDR data: «89,8%» in
Kazakh, «89,8 %» in Russian, «89.8%» in English); "—" for one that cannot be counted yet (nothing
to count); absences by reason."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_decimal, format_percent

from locales import translate

# A page or a report writes the same few hundred figures; Babel costs tens of microseconds a call.
REMEMBERED = 4096


@lru_cache(maxsize=REMEMBERED, typed=True)
def percent(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    # The figures are rounded already (one decimal); Decimal keeps 89.8 from reading 89.80000000001.
    return format_percent(Decimal(repr(value)) / 100, locale=lang, decimal_quantization=False)


@lru_cache(maxsize=REMEMBERED, typed=True)
def number(value: float | None, lang: str, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = format_decimal(Decimal(repr(value)), locale=lang, decimal_quantization=False)
    return f"+{text}" if signed and value > 0 else text


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
