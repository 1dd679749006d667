"""What the sandbox keeps across a restart, in `<DATA_DIR>/sandbox/`: both emulators' worlds (chats,
messages, files, the counters that number updates and messages) and the clock's offset; the store
and photos are in `DATA_DIR` already. A restart goes on where it stopped and never reuses an update
or message number the store has seen (`sandbox.telegram_emulator.snapshot` says why that matters).
`ustaz run --fresh` starts clean instead: `forget` removes the store, the photos and all of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.telegram_emulator import TelegramEmulator
from sandbox.telegram_emulator import snapshot as telegram_snapshot
from sandbox.twilio_emulator import TwilioEmulator
from sandbox.twilio_emulator import snapshot as twilio_snapshot
from settings import Settings

log = logging.getLogger("ustaz.sandbox")

FOLDER = "sandbox"
CLOCK = "clock.json"
SAVE_EVERY = 0.5  # seconds: at most this much of the emulators' world is lost in a crash


def folder_of(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


@dataclass
class Keeper:
    folder: Path
    telegram: TelegramEmulator
    twilio: TwilioEmulator
    saved: tuple[int, int] = field(default=(-1, -1))

    def restore(self) -> bool:
        """Load what the last run kept; False on a first start."""
        found = telegram_snapshot.load(self.telegram, self.folder / "telegram")
        found = twilio_snapshot.load(self.twilio, self.folder / "twilio") or found
        self.saved = self._versions()
        return found

    def save(self, *, clean: bool = False) -> None:
        telegram_snapshot.save(self.telegram, self.folder / "telegram", clean=clean)
        twilio_snapshot.save(self.twilio, self.folder / "twilio")
        self.saved = self._versions()

    def _versions(self) -> tuple[int, int]:
        return self.telegram.version, self.twilio.version

    async def keep(self) -> None:
        """Save whenever something changed, until cancelled."""
        while True:
            await asyncio.sleep(SAVE_EVERY)
            if self._versions() != self.saved:
                try:
                    self.save()
                except OSError:
                    log.exception("sandbox: could not keep the emulators' world in %s", self.folder)


class CannotStartClean(ValueError):
    """`--fresh` with a store that is not the sandbox's own SQLite file in DATA_DIR: left alone."""


def forget(settings: Settings) -> list[Path]:
    """Remove what a sandbox run keeps, for a clean start; refuses a store outside DATA_DIR."""
    database = settings.data_dir / "ustaz.sqlite3"
    if settings.db_url != f"sqlite:///{database.resolve()}":
        raise CannotStartClean(
            "--fresh starts the sandbox's own SQLite store clean; DATABASE_URL points elsewhere"
        )
    gone = []
    for path in (
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
        settings.media_dir,
        settings.data_dir / "postal",
        folder_of(settings),
    ):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        gone.append(path)
    return gone


async def stop_keeping(task: asyncio.Task[None], keeper: Keeper) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    keeper.save(clean=True)
