"""How the process writes its log: lines of text for a person reading them, or with LOG_FORMAT=json
one JSON object a line for a log collector (journald forwarding, Loki, Elasticsearch).

The format only shapes what the code logs: the messages carry ids, never names or phone numbers,
in either. JSON lines keep Cyrillic and Kazakh letters as they are (UTF-8, not \\u escapes).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """`{"time", "level", "logger", "message"}`, and `"exception"` with its traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


FORMATTERS: dict[str, logging.Formatter] = {"text": logging.Formatter(TEXT), "json": JsonLines()}


def configure(level: str, form: str) -> None:
    """Log at `level` to standard error in `form` ("text" or "json"); Alembic only when it warns."""
    handler = logging.StreamHandler()
    handler.setFormatter(FORMATTERS[form])
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)
