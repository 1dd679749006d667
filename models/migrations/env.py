"""Alembic environment: the same migrations serve SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from models.store import make_engine
from settings import get_settings

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().db_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
