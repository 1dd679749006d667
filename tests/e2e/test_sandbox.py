"""The run command with no configuration starts the sandbox; a person can join over HTTP; SIGTERM
stops it cleanly. This drives the real process as a newcomer would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.chatting import on_telegram

pytestmark = pytest.mark.flow
ROOT = Path(__file__).resolve().parents[2]


def _call(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _wait_for_banner(process: subprocess.Popen[str], deadline: float) -> dict[str, Any]:
    seen: dict[str, Any] = {"invites": []}
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if match := re.search(r"Telegram emulator:\s+(\S+)", line):
            seen["telegram"] = match.group(1)
        if match := re.search(r"start=(\w+)", line):
            seen["invites"].append(match.group(1))
        if "demo school:" in line:
            seen["school"] = line
        if "telegram" in seen and "school" in seen and len(seen["invites"]) >= 1 and "invite" not in line:
            return seen
    raise AssertionError(f"the sandbox did not announce itself: {seen}")


def test_run_command_with_no_configuration_starts_the_sandbox(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bots"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = _wait_for_banner(process, time.monotonic() + 120)
        api = banner["telegram"] + "/_emulator"
        assert (tmp_path / "data" / "ustaz.sqlite3").exists()

        _call(f"{api}/users", {"id": 4242, "first_name": "Дана", "language_code": "ru"})
        _call(f"{api}/users/4242/text", {"text": "/start"})
        [greeting] = _call(f"{api}/chats/4242/wait?count=1&timeout=20")["messages"]
        in_russian, in_kazakh = (on_telegram(lang, "start.stranger") for lang in ("ru", "kk"))
        assert greeting["text"] == f"{in_russian}\n\n{in_kazakh}"

        _call(f"{api}/users/4242/text", {"text": f"/start {banner['invites'][0]}"})
        replies = _call(f"{api}/chats/4242/wait?count=3&timeout=20")["messages"]
        assert replies[1]["text"].startswith(on_telegram("kk", "join.welcome", name="")[:12])
        buttons = [row[0]["callback_data"] for row in replies[2]["reply_markup"]["inline_keyboard"]]
        assert buttons == ["lang:kk", "lang:ru", "lang:en"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0
