"""What the two homework flows share: their buttons' prefix and how a deadline reads.

A tutor sets homework (`set_homework`, /homework); a pupil hands it in as photos (`hand_in`). Both
flows' buttons start with `PREFIX`, so a button sent before an upgrade still finds its flow.
"""

from __future__ import annotations

from handlers.context import Turn
from handlers.refusals import not_understood
from handlers.types import Reply
from models.clock import to_local
from models.homework import Homework

PREFIX = "hw:"


def due_text(turn: Turn, homework: Homework) -> str:
    """The deadline in the school's time zone, as messages show it."""
    return to_local(homework.due_at, turn.config.time_zone).strftime("%d.%m %H:%M")


def unknown_choice(turn: Turn) -> list[Reply]:
    """A homework button of neither flow."""
    return not_understood()
