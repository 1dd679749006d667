"""The real process in sandbox mode, and Debian's Chromium driven by Playwright (never a downloaded
browser). The tests are skipped when /usr/bin/chromium is missing (`.ci/run` installs it)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    data_dir: Path


def start_sandbox(home: Path) -> tuple[subprocess.Popen[str], RunningSandbox]:
    """`python -m bots` with no configuration, on a free port; returns once it announces its page."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DATA_DIR": str(home / "data"),
        "HTTP_PORT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log = (home / "sandbox.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bots"], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if found := re.search(r"web:\s+(\S+?)/?\n", (home / "sandbox.log").read_text()):
            return process, RunningSandbox(found.group(1), home / "data")
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the sandbox did not announce its web page")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    process, running = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    try:
        yield running
    finally:
        stop(process)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser(sandbox: RunningSandbox) -> Iterator[object]:
    with chromium() as launched:
        yield launched
