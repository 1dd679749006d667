"""The two stores' own `INSERT` (for `ON CONFLICT DO NOTHING`), chosen by the session's dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_of(session: Session) -> str:
    """The name of the session's dialect, postgresql or sqlite; another database is refused."""
    name = session.get_bind().dialect.name
    if name not in INSERTS:
        raise NotImplementedError(f"insert … on conflict on {name}")
    return name


def insert_for(session: Session) -> Any:
    return INSERTS[dialect_of(session)]
