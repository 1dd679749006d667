"""A sandbox restarted goes on where it stopped — the chats, their message numbers, the clock — and
answers every message and tap after the restart; `--fresh` starts clean. This drives the real
`ustaz run` twice on one DATA_DIR, as a trainer would between two sessions."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_sandbox import _call
from tests.support.chatting import on_telegram

pytestmark = pytest.mark.flow
USER = 4242


def _banner(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The addresses, the first invite and what the emulators kept, from the start-up lines."""
    seen: dict[str, Any] = {}
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        for name, pattern in (
            ("web", r"web:\s+(\S+)/"),
            ("telegram", r"Telegram emulator:\s+(\S+)"),
            ("kept", r"emulators:\s+(.+?) \("),
            ("invite", r"start=(\w+)\s+(.+)$"),
        ):
            if name not in seen and (match := re.search(pattern, line)):
                seen[name] = match.groups() if name == "invite" else match.group(1)
        if {"web", "telegram", "kept", "invite"} <= set(seen):
            return seen
    raise AssertionError(f"the sandbox did not announce itself: {seen}")


def _start(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(data.parent),
        "DATA_DIR": str(data),
        "HTTP_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = f"from bots.cli import main; main(['run', *{list(args)!r}])"
    return subprocess.Popen(
        [sys.executable, "-c", command],
        cwd=data.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _ask_code(web: str, who: str) -> None:
    """Ask for a dashboard code as a browser does: the sign-in page's form, with its form token."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(f"{web}/dashboard/login", timeout=30) as response:
        found = re.search(r'name="form_token" value="([^"]+)"', response.read().decode())
    assert found is not None
    form = urllib.parse.urlencode({"who": who, "form_token": found.group(1)}).encode()
    browser.open(urllib.request.Request(f"{web}/dashboard/login", data=form), timeout=30).close()


def _sign_in_sms(web: str) -> dict[str, Any]:
    """The dashboard code's SMS to the class teacher, as the sandbox page's SMS inbox lists it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{web}/sandbox/sms", timeout=30) as response:
            inbox = json.loads(response.read())["messages"]
        found = [
            m
            for m in inbox
            if m["name"] == "Омарова Гүлмира Асқарқызы" and re.search(r"\b\d{6}\b", m["text"])
        ]
        if found:
            assert not found[0]["inbound"] and found[0]["number"] == "+77055550002"
            return dict(found[0])
        time.sleep(0.3)
    raise AssertionError("no sign-in code in the SMS inbox")


def _bot_messages(api: str, count: int) -> list[dict[str, Any]]:
    found = _call(f"{api}/chats/{USER}/wait?count={count}&timeout=20")["messages"]
    return [m for m in found if m["from_bot"]]


def _all(api: str) -> list[dict[str, Any]]:
    return list(_call(f"{api}/chats/{USER}/messages?all=1")["messages"])


def test_a_restarted_sandbox_keeps_its_chats_and_clock_and_answers_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _start(data)
    try:
        banner = _banner(first)
        api, web = banner["telegram"] + "/_emulator", banner["web"]
        assert banner["kept"] == "a clean start"
        code, who = banner["invite"]
        assert "(coordinator)" in who  # the printed code says whose it is
        _call(f"{api}/users", {"id": USER, "first_name": "Үйлестіруші", "language_code": "kk"})
        _call(f"{api}/users/{USER}/text", {"text": f"/start {code}"})
        asked = _bot_messages(api, 2)[-1]
        _call(f"{api}/users/{USER}/press", {"message_id": asked["message_id"], "callback_data": "lang:kk"})
        assert _bot_messages(api, 3)[-1]["text"] == on_telegram("kk", "language.set")
        moved = _call(f"{web}/sandbox/clock", {"step": "day"})["now"]
        before = _all(api)
        # A class teacher not in Telegram asks for a dashboard code: it goes by SMS, readable in the inbox.
        _ask_code(web, "SH2-S02")
        code_sms = _sign_in_sms(web)
    finally:
        _stop(first)

    second = _start(data)
    try:
        banner = _banner(second)
        api = banner["telegram"] + "/_emulator"
        assert banner["kept"] == "went on from the last run's chats and clock"
        assert [m["text"] for m in _all(api)] == [m["text"] for m in before]  # the chat is still there
        with urllib.request.urlopen(banner["web"] + "/", timeout=30) as page:
            shown = re.search(r'id="clock-now">([^<]+)<', page.read().decode())
        # The clock is still a day ahead: where it was moved to, plus the minutes the restart took.
        assert shown is not None
        ahead = datetime.fromisoformat(shown.group(1)) - datetime.fromisoformat(moved)
        assert timedelta(0) <= ahead < timedelta(minutes=5)
        assert _sign_in_sms(banner["web"])["text"] == code_sms["text"]  # and the SMS inbox

        # A message and a tap after the restart are answered: their numbers are new to the store.
        sent = _call(f"{api}/users/{USER}/text", {"text": "/language"})["message"]
        assert sent["message_id"] > max(m["message_id"] for m in before)
        asked = _bot_messages(api, 4)[-1]
        assert asked["text"] == on_telegram("kk", "language.ask")
        _call(f"{api}/users/{USER}/press", {"message_id": asked["message_id"], "callback_data": "lang:ru"})
        assert _bot_messages(api, 5)[-1]["text"] == on_telegram("ru", "language.set")
    finally:
        _stop(second)

    fresh = _start(data, "--fresh")
    try:
        banner = _banner(fresh)
        assert banner["kept"] == "a clean start"
        request = urllib.request.Request(banner["telegram"] + f"/_emulator/chats/{USER}/messages")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=30)
    finally:
        _stop(fresh)
    state = json.loads((data / "sandbox" / "telegram" / "state.json").read_text())
    assert state["users"] == [] and state["clean"]
