"""`ustaz run` as child processes, for the tests and benchmarks that run several at once (bot,
dispatcher and scheduler roles) and stop or kill them as an operator would."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def start_ustaz(env: dict[str, str], log: Path, *roles: str) -> subprocess.Popen[bytes]:
    """`ustaz run --role …` with this environment, its output appended to `log`."""
    args = [arg for role in roles for arg in ("--role", role)]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from bots.cli import main; main()", "run", *args],
            cwd=log.parent,
            env=env,
            stdout=out,
            stderr=out,
        )


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every one still running, then wait; one that does not stop in 20 s is killed."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
