"""The emulator's world on disk, so a restarted sandbox keeps its chats and never numbers an update,
a message or a callback query twice.

Telegram numbers updates sequentially for good (only after a week without updates may the next id
be chosen anew) and never reuses a message id in a chat; the bot's store ignores a message or a tap
it has seen (`inbound_receipt`: chat and message id, callback query id). An emulator that started
from 1 again after a restart made the store drop new messages as repeats; one restored from its
snapshot goes on numbering where it stopped.

`save` writes `state.json` (users, chats with their counters, messages, pending updates, the
counters) atomically and each file's bytes once under `files/`; `load` restores them. A snapshot
saved while running (not at a clean stop) may miss the last moments before a crash, so loading one
moves every counter on by `AFTER_CRASH`: a jump, as Telegram's own numbering may make, never a repeat.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.snapshot_files import keep_blob, read_state, write_state

from .state import Chat, ChatMessage, StoredFile, User

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

FORMAT = 1
FILES = "files"
AFTER_CRASH = 1000


def save(emu: TelegramEmulator, folder: Path, *, clean: bool = False) -> None:
    """Write the world; `clean` marks a snapshot taken at a stop, after which nothing happened."""
    for stored in emu._files.values():
        keep_blob(folder / FILES, stored.file_id, stored.data)
    state = {
        "format": FORMAT,
        "clean": clean,
        "counters": {
            "update": emu._update_ids.value,
            "seq": emu._seq.value,
            "file": emu._file_counter.value,
            "query": emu._query_ids.value,
            "poll": emu._poll_ids.value,
        },
        "users": [_user(user) for user in emu._users.values()],
        "chats": [_chat(chat) for chat in emu._chats.values()],
        "messages": [_message(record) for records in emu._messages.values() for record in records],
        "files": [_file(stored) for stored in emu._files.values()],
        "photo_sets": [[f.file_id for f in sizes] for sizes in _distinct(emu._photo_sets.values())],
        "updates": emu._updates,
        "callback_queries": emu._callback_queries,
        "allowed_updates": sorted(emu._allowed_updates),
    }
    write_state(folder, state)


def load(emu: TelegramEmulator, folder: Path) -> bool:
    """Restore the world saved in `folder`; False when there is none (a first start)."""
    state = read_state(folder, FORMAT)
    if state is None:
        return False
    jump = 0 if state.get("clean") else AFTER_CRASH
    emu._clear()
    files = {
        item["file_id"]: StoredFile(data=(folder / FILES / item["file_id"]).read_bytes(), **item)
        for item in state["files"]
    }
    emu._files = files
    emu._paths = {stored.file_path: stored for stored in files.values()}
    for ids in state["photo_sets"]:
        sizes = [files[file_id] for file_id in ids]
        for stored in sizes:
            emu._photo_sets[stored.file_id] = sizes
    emu._users = {item["id"]: User(**item) for item in state["users"]}
    for item in state["chats"]:
        chat = _restored_chat(item, emu._users)
        chat.next_message_id += jump
        emu._chats[chat.id] = chat
        emu._messages[chat.id] = []
    for item in state["messages"]:
        record = ChatMessage(**{**item, "media": [files[file_id] for file_id in item["media"]]})
        emu._messages.setdefault(record.chat_id, []).append(record)
    emu._updates = list(state["updates"])
    emu._callback_queries = dict(state["callback_queries"])
    emu._allowed_updates = frozenset(state["allowed_updates"])
    counters = state["counters"]
    emu._update_ids.value = counters["update"] + jump
    emu._seq.value = counters["seq"] + jump
    emu._file_counter.value = counters["file"] + jump
    emu._query_ids.value = counters["query"] + jump
    emu._poll_ids.value = counters["poll"]
    emu.version += 1
    return True


def _distinct(sets: Any) -> list[list[StoredFile]]:
    seen: dict[int, list[StoredFile]] = {}
    for sizes in sets:
        seen.setdefault(id(sizes), sizes)
    return list(seen.values())


def _user(user: User) -> dict[str, Any]:
    return dict(vars(user))


def _chat(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "user": chat.user.id if chat.user is not None else None,
        "members": [[member, status] for member, status in chat.members.items()],
        "bot_status": chat.bot_status,
        "blocked": chat.blocked,
        "started": chat.started,
        "migrated_to": chat.migrated_to,
        "next_message_id": chat.next_message_id,
        "reply_keyboard": chat.reply_keyboard,
    }


def _restored_chat(item: dict[str, Any], users: dict[int, User]) -> Chat:
    return Chat(
        **{
            **item,
            "user": users.get(item["user"]) if item["user"] is not None else None,
            "members": {int(member): status for member, status in item["members"]},
        }
    )


def _message(record: ChatMessage) -> dict[str, Any]:
    return {
        "chat_id": record.chat_id,
        "message_id": record.message_id,
        "from_bot": record.from_bot,
        "sender_id": record.sender_id,
        "message": record.message,
        "reply_markup": record.reply_markup,
        "media": [stored.file_id for stored in record.media],
        "edited": record.edited,
        "deleted": record.deleted,
        "seq": record.seq,
    }


def _file(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_path": stored.file_path,
        "kind": stored.kind,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "width": stored.width,
        "height": stored.height,
    }
