"""docs/deploy.md's settings file is read by systemd (`EnvironmentFile=`), which keeps everything after
the `=` but the outer whitespace — a trailing `# comment` included — and its hand-run commands carry
those settings: a bare `sudo -u ustaz … ustaz migrate` would migrate a new SQLite file in the
directory it was typed in and say `ok`."""

from __future__ import annotations

import re
from pathlib import Path

from settings import load_settings

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"


def systemd_environment(text: str) -> dict[str, str]:
    """An environment file as systemd reads it: comment lines skipped, a value kept up to the line's end."""
    pairs = (
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith(("#", ";"))
    )
    return {name.strip(): value.strip() for name, value in pairs}


def settings_block() -> str:
    match = re.search(r"`/etc/ustaz/ustaz\.env`.*?```sh\n(.*?)```", DEPLOY.read_text(), re.S)
    assert match, "deploy.md shows the settings file"
    return match.group(1)


def test_the_settings_file_reads_under_systemd_as_ustaz_takes_it() -> None:
    environment = systemd_environment(settings_block())
    assert environment["LOG_FORMAT"] == "json"
    assert not [name for name, value in environment.items() if " #" in value]
    assert load_settings(log_format=environment["LOG_FORMAT"]).log_format == "json"


def test_no_hand_run_command_goes_without_the_settings() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DEPLOY.read_text(), re.S)
    commands = [block for block in blocks if "/.venv/bin/ustaz " in block]
    assert len(commands) >= 2  # migrate and restore
    for block in commands:
        assert "sudo -u ustaz" not in block, block
        assert "EnvironmentFile=/etc/ustaz/ustaz.env" in block, block
