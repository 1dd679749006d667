"""The sandbox's clock: real time plus an offset a visitor moves forward ("+1 hour", "+1 day"), so
lesson reminders, homework deadlines and Kazpost notices happen without waiting for them.

The scheduler and the outbox dispatcher take any `() -> datetime`; in the sandbox they get this one.
With a `path` the offset is kept there, so a restarted sandbox is still on the day it was moved to
(the store's reminders and rounds were derived for that day).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from models.clock import utcnow


class OffsetClock:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.offset = timedelta(0)
        if path is not None and path.exists():
            self.offset = timedelta(seconds=float(json.loads(path.read_text())["offset_seconds"]))

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, step: timedelta) -> datetime:
        if step <= timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self.offset += step
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"offset_seconds": self.offset.total_seconds()}))
        return self()
