"""The sandbox's clock: real time plus an offset a visitor moves forward ("+1 hour", "+1 day"), so
lesson reminders, homework deadlines and Kazpost notices happen without waiting for them.

The scheduler and the outbox dispatcher take any `() -> datetime`; in the sandbox they get this one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.clock import utcnow


class OffsetClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, step: timedelta) -> datetime:
        if step <= timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self.offset += step
        return self()
