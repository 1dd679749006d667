"""LOG_FORMAT=json: every line a log collector gets is one JSON object with the time, level, logger
and message (and the traceback of an exception), in UTF-8 as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOGGING = """
import logging
from bots import logs
logs.configure("INFO", "json")
outbox = logging.getLogger("ustaz.outbox")
outbox.info("outbox: notification %s sent on %s", 12, "telegram")
outbox.debug("not at INFO")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("ustaz").exception("сынып %s: turn failed", 7)
"""


def test_json_lines_carry_the_message_its_level_and_the_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOGGING], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    sent, failed = (json.loads(line) for line in lines)
    assert sent["message"] == "outbox: notification 12 sent on telegram"
    assert (sent["level"], sent["logger"]) == ("INFO", "ustaz.outbox")
    assert sent["time"].endswith("+00:00") and "exception" not in sent
    assert failed["message"] == "сынып 7: turn failed" and "сынып" in lines[1]
    assert failed["level"] == "ERROR" and "ZeroDivisionError" in failed["exception"]
