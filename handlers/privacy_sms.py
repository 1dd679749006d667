"""A family's own data by SMS: an SMS carries no file, so /mydata (ДЕРЕКТЕР / ДАННЫЕ) answers there
with what is stored about each child, counted in words, and says where the whole file can be had
(WhatsApp or Telegram, or the school) and how to ask for erasure. No export file is written for an
SMS: one that could never be sent would only lie on disk (and in the night's backup) until the
hourly clean-up."""

from __future__ import annotations

from typing import Any

from handlers.types import Reply
from locales import Lines, N, T, Text
from models.people import Person

# What a line counts: its catalogue key and the export's list it counts.
COUNTED = (
    ("walk.mydata.works", "submissions"),
    ("walk.mydata.pages", "pages"),
    ("walk.mydata.grades", "feedback"),
    ("walk.mydata.marks", "attendance"),
    ("walk.mydata.messages", "messages"),
)


def summary(children: list[tuple[Person, dict[str, Any]]]) -> Reply:
    """One line per child (`stored` is `handlers.privacy.everything` for that child), and where the
    whole file is."""
    return Reply(T("walk.mydata.sms", pupils=Lines(tuple(_line(p, stored) for p, stored in children))))


def _line(pupil: Person, stored: dict[str, Any]) -> Text:
    return T("walk.mydata.pupil", pupil=pupil.full_name, **counts(stored))


def counts(stored: dict[str, Any]) -> dict[str, Text]:
    """The counted lists of one child's data, as the texts' {c0}…{c4} (WhatsApp's words read them too)."""
    return {f"c{n}": N(key, "count", count=len(stored[part])) for n, (key, part) in enumerate(COUNTED)}
