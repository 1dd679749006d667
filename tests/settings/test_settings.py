"""Settings: every documented one is read; a bad one stops start-up with one line naming it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_defaults_are_the_sandbox_on_sqlite_in_almaty() -> None:
    settings = load_settings()
    assert settings.sandbox
    assert settings.db_url.startswith("sqlite:///")
    assert settings.tz_name == "Asia/Almaty"


def test_almaty_is_utc_plus_five_all_year() -> None:
    from datetime import datetime

    zone = load_settings().zone
    for month in (1, 7):
        offset = datetime(2025, month, 15, 12, tzinfo=zone).utcoffset()
        assert offset is not None and offset.total_seconds() == 5 * 3600


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "eighty"),
        ("TZ_NAME", "Mars/Olympus"),
        ("QUIET_HOURS_START", "25:99"),
        ("DEFAULT_LOCALE", "de"),
        ("LOG_FORMAT", "xml"),
        ("READY_OUTBOX_LAG_SECONDS", "0"),
    ],
)
def test_a_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value.code)


def test_start_up_stops_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bots"],
        env={"PATH": "/usr/bin:/bin", "HTTP_PORT": "not-a-port", "DATA_DIR": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HTTP_PORT" in lines[0]
