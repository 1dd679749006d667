"""The emulator's messages on disk, so a restarted sandbox keeps its WhatsApp and SMS conversations
(the sandbox page's chat and SMS views) and each number's 24-hour window and STOP.

Message and media SIDs are random, as Twilio's are, so a restart never repeats one; only what people
see is kept: `save` writes `state.json` (messages settled as they stood, the windows, the numbers
that sent STOP, the numbers' states) and each medium's bytes once under `media/`; `load` restores
them. Status callbacks and webhook calls in flight are not: they finished or failed with the process.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.snapshot_files import keep_blob, read_state, write_state

from .records import EmulatedMessage, MediaItem

if TYPE_CHECKING:
    from .emulator import TwilioEmulator

FORMAT = 1
MEDIA = "media"
_STAMPS = ("date_created", "date_updated", "date_sent")


def save(emu: TwilioEmulator, folder: Path) -> None:
    for item in emu._media.values():
        keep_blob(folder / MEDIA, item.sid, item.data)
    state = {
        "format": FORMAT,
        "messages": [_message(msg) for msg in emu.messages],
        "last_inbound": {number: at.isoformat() for number, at in emu._last_inbound.items()},
        "opted_out": sorted(emu._opted_out),
        "number_states": [
            [channel, number, state] for (channel, number), state in emu._number_states.items()
        ],
    }
    write_state(folder, state)


def load(emu: TwilioEmulator, folder: Path) -> bool:
    """Restore what `save` wrote; False when there is nothing (a first start)."""
    state = read_state(folder, FORMAT)
    if state is None:
        return False
    emu.reset()
    for item in state["messages"]:
        media = [_medium(folder, entry) for entry in item["media"]]
        stamps = {name: datetime.fromisoformat(item[name]) if item[name] else None for name in _STAMPS}
        msg = EmulatedMessage(**{**item, **stamps, "media": media, "settled": True})
        emu.messages.append(msg)
        emu._by_sid[msg.sid] = msg
        for medium in media:
            emu._media[medium.sid] = medium
    emu._last_inbound = {number: datetime.fromisoformat(at) for number, at in state["last_inbound"].items()}
    emu._opted_out = set(state["opted_out"])
    emu._number_states = {(channel, number): value for channel, number, value in state["number_states"]}
    emu.version += 1
    return True


def _message(msg: EmulatedMessage) -> dict[str, Any]:
    return {
        "sid": msg.sid,
        "account_sid": msg.account_sid,
        "channel": msg.channel,
        "direction": msg.direction,
        "from_": msg.from_,
        "to": msg.to,
        "body": msg.body,
        "status": msg.status,
        "content_sid": msg.content_sid,
        "content_variables": msg.content_variables,
        "rendered_text": msg.rendered_text,
        "interactive": msg.interactive,  # WhatsApp buttons stay tappable after a restart
        "media": [
            {"sid": m.sid, "message_sid": m.message_sid, "content_type": m.content_type, "deleted": m.deleted}
            for m in msg.media
        ],
        "error_code": msg.error_code,
        "error_message": msg.error_message,
        "num_segments": msg.num_segments,
        "in_reply_to": msg.in_reply_to,
        "status_history": msg.status_history,
        **{name: stamp.isoformat() if (stamp := getattr(msg, name)) else None for name in _STAMPS},
    }


def _medium(folder: Path, entry: dict[str, Any]) -> MediaItem:
    blob = folder / MEDIA / entry["sid"]
    return MediaItem(data=blob.read_bytes() if blob.exists() else None, **entry)
