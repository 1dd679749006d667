"""Albums: Telegram delivers an album as one update per photo, sharing a `media_group_id`.

The photos of one album that reach this process within a short wait are handed to the handlers as one
`Inbound`, so the pupil gets one receipt (or one question) for the whole album. Photos of the same
album that reach another worker, or come later, still join the same submission: the handlers keep
the album id in the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from handlers.types import Inbound

ALBUM_WAIT_SECONDS = 0.8


class AlbumCollector:
    def __init__(self, wait: float = ALBUM_WAIT_SECONDS) -> None:
        self.wait = wait
        self._open: dict[tuple[str, str], list[tuple[int, Inbound]]] = {}

    async def collect(self, inbound: Inbound, message_id: int) -> Inbound | None:
        """The whole album for the first of its messages (after the wait); None for the others."""
        if not inbound.album_id:
            return inbound
        key = (inbound.chat.id, inbound.album_id)
        parts = self._open.get(key)
        if parts is not None:
            parts.append((message_id, inbound))
            return None
        parts = self._open[key] = [(message_id, inbound)]
        try:
            await asyncio.sleep(self.wait)
        finally:
            del self._open[key]
        parts.sort(key=lambda part: part[0])
        first = parts[0][1]
        return replace(
            first,
            text=next((part.text for _, part in parts if part.text), ""),
            uploads=tuple(upload for _, part in parts for upload in part.uploads),
        )
