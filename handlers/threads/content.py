"""What a message carries, stored as thread messages: its words (whole), each photo through the
photo pipeline (only its pixels kept), a voice note or another file as it came, named by its hash.
A file that cannot be kept is answered in the person's language; the rest is kept."""

from __future__ import annotations

import mimetypes
from dataclasses import replace

from handlers.attachments import store_attachment
from handlers.context import Turn
from handlers.threads import store
from handlers.types import Reply, Upload
from models.threads import ThreadMessage

FOLDER = "threads"
# A sound without a file name (WhatsApp sends none) is named by its type, so it keeps its kind.
SOUND_NAMES = {
    "audio/ogg": "voice.ogg",
    "audio/mpeg": "audio.mp3",
    "audio/mp4": "audio.m4a",
    "audio/amr": "audio.amr",
}


def kind_of(upload: Upload) -> str:
    if upload.is_sound:
        return "voice"
    return "photo" if upload.content_type.startswith("image/") or not upload.as_document else "file"


def named(upload: Upload) -> Upload:
    if upload.filename or not upload.is_sound:
        return upload
    fallback = "audio" + (mimetypes.guess_extension(upload.content_type) or ".bin")
    return replace(upload, filename=SOUND_NAMES.get(upload.content_type, fallback))


def keep(turn: Turn, *, from_family: bool) -> tuple[list[ThreadMessage], list[Reply]]:
    """The turn's words and files as messages (not yet in a thread), and the refusals of files
    that could not be kept. The words ride with the first file kept, as its caption."""
    text = store.clean(turn.inbound.text).strip()
    author = turn.person_id()
    messages: list[ThreadMessage] = []
    refused: list[Reply] = []
    for upload in turn.inbound.uploads:
        path, refusals = store_attachment(turn, named(upload), FOLDER)
        refused += refusals
        if path is not None:
            caption, text = text, ""
            messages.append(
                store.add_message(
                    turn.session,
                    author_id=author,
                    from_family=from_family,
                    now=turn.now,
                    kind=kind_of(upload),
                    text=caption,
                    media_path=path,
                )
            )
    if text:
        messages.insert(
            0,
            store.add_message(
                turn.session, author_id=author, from_family=from_family, now=turn.now, text=text
            ),
        )
    return messages, refused
