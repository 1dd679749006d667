"""Shared fixtures. Store and flow tests run on a real SQLite file, and also on PostgreSQL when
USTAZ_TEST_POSTGRES_URL points at a server (`.ci/run` starts one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, create_engine, text

import bots  # noqa: F401  (aiogram as the bot imports it: models built on first use)
from models.clock import utcnow
from models.migrate import upgrade
from models.store import make_engine
from settings import Settings, load_settings

POSTGRES_URL = os.environ.get("USTAZ_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never pick up a developer's .env or real tokens, nor a digest by the wall clock."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "TWILIO_")) or name in ("DATABASE_URL", "DATA_DIR"):
            monkeypatch.delenv(name, raising=False)
    # The weekly digest is made on Sunday evenings: a flow test run then would find one in a chat
    # it reads. The digest's own tests turn it on.
    monkeypatch.setenv("DIGEST_ENABLED", "false")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def daytime() -> Iterator[None]:
    """11:00 today in Almaty, with the clock running: outside quiet hours (21:00–08:00 there), so
    the outbox sends at once whenever the tests run. Without it an outbox test that expects a
    message fails every evening."""
    almaty = Settings().zone
    at = utcnow().astimezone(almaty).replace(hour=11, minute=0, second=0, microsecond=0)
    with time_machine.travel(at, tick=True):
        yield


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ustaz.sqlite3'}"
        return
    name = f"ustaz_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(data_dir=tmp_path / "data", database_url=db_url)
