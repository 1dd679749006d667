"""One notion of "now" for the whole system: aware UTC in the store, Almaty time for people.

sqlmodel stores `datetime` fields as UTC with a time zone and refuses naive values, so every
timestamp the system makes is aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` (naive means in that zone) as aware UTC."""
    aware = local if local.tzinfo else local.replace(tzinfo=zone)
    return aware.astimezone(UTC)
