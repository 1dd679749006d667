"""Bring a database to the newest schema with the project's Alembic revisions."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from models.store import make_engine

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "models" / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ready_store(data_dir: Path, db_url: str) -> Engine:
    """The store a command works on: its data folder made (SQLite's file and the photos live there),
    the schema brought to the newest revision."""
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(db_url)
    upgrade(engine)
    return engine


@lru_cache(maxsize=1)
def newest_revisions() -> frozenset[str]:
    """The head revisions this code's migrations end in (read from the scripts once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_current(connection: Connection) -> bool:
    """Whether the database behind `connection` is at the newest schema this code knows."""
    return frozenset(MigrationContext.configure(connection).get_current_heads()) == newest_revisions()
