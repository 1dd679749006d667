"""The audit trail of a turn: what the person who wrote changed, by ids, never names or numbers."""

from __future__ import annotations

from typing import Any

from handlers.context import Turn
from models.journal import AuditLog


def audit(turn: Turn, action: str, entity: str, entity_id: int | None, **detail: Any) -> None:
    turn.session.add(
        AuditLog(
            actor_id=turn.person.id if turn.person else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )
