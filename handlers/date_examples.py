"""The dates a question about a deadline or a sending time gives as its example: a week from today,
so that a tutor or class teacher who types the example back is never told it is in the past (a
fixed example such as "25.11" is in the past for most of the year)."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Turn
from models.clock import to_local

AHEAD = timedelta(days=7)


def example_dates(turn: Turn) -> dict[str, str]:
    """`day` as 18.12 and `iso` as 2026-12-18, a week from today in the school's time zone."""
    ahead = to_local(turn.now, turn.config.time_zone).date() + AHEAD
    return {"day": ahead.strftime("%d.%m"), "iso": ahead.isoformat()}
