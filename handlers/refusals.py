"""The answers that refuse a turn, worded once: not yours to do, not understood, tutors only."""

from __future__ import annotations

from handlers.context import Turn
from handlers.types import Reply
from locales import T
from models.enums import Role


def not_allowed() -> list[Reply]:
    return [Reply(T("common.not_allowed"))]


def not_understood() -> list[Reply]:
    return [Reply(T("common.not_understood"))]


def tutors_only(turn: Turn, action: str) -> list[Reply]:
    """Why a command of the tutor's is refused: not a tutor, or a tutor with no group yet."""
    if turn.has_role(Role.TUTOR):
        return [Reply(T("homework.no_groups"))]
    return [Reply(T(f"{action}.only_tutor"))]
