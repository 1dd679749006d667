"""How the emulators keep their world on disk (`sandbox.telegram_emulator.snapshot`,
`sandbox.twilio_emulator.snapshot`): one JSON state written atomically (a crash leaves the last
whole one), with a format number, and each file's bytes written once beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE = "state.json"


def write_state(folder: Path, state: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{STATE}.tmp"
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, folder / STATE)


def read_state(folder: Path, format_number: int) -> dict[str, Any] | None:
    """The state saved in `folder`, or None when there is none (a first start)."""
    path = folder / STATE
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != format_number:
        raise ValueError(f"{path}: an emulator snapshot of another format")
    return state


def keep_blob(folder: Path, name: str, data: bytes | None) -> None:
    """A file's bytes under `folder`, written once (its name never changes its bytes)."""
    blob = folder / name
    if data is not None and not blob.exists():
        folder.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
