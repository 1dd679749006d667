"""The emulator object: the world's state, the control methods, update delivery and the HTTP server."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

from aiohttp import ClientSession, ClientTimeout, web

from . import control
from .api import BotApi
from .limits import FloodControl, RateLimits
from .params import ApiError, read_method_answer
from .state import (
    Chat,
    ChatMessage,
    Counter,
    Json,
    StoredFile,
    User,
    WebhookDelivery,
    image_sizes,
    now_ts,
    text_entities,
)

WEBHOOK_RETRY_SECONDS = 0.5

log = logging.getLogger("sandbox.telegram_emulator")

DEFAULT_TOKEN = "123456789:AAEmulatorTokenForLocalTestsOnly000000"
TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
# Telegram's default when a bot never said which updates it wants.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_SERVICE_FIELDS = (
    "new_chat_members",
    "left_chat_member",
    "group_chat_created",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "new_chat_title",
)


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


class TelegramEmulator:
    """A local Telegram Bot API server for one bot. See the package docstring for the full API."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "ustaz_test_bot",
        bot_first_name: str = "Ustaz",
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        privacy_mode: bool = True,
        webhook_timeout: float = 10.0,
    ) -> None:
        """
        :param token: the one token the server accepts; the bot's id is the number before ``:``.
        :param rate_limits: flood limits (default: Telegram-like); ``RateLimits.unlimited()`` lifts them.
        :param clock: monotonic seconds used by the flood limits; tests pass a fake to move time.
        :param privacy_mode: in groups the bot sees only commands, mentions, replies to it and
            service messages (Telegram's default for bots).
        :param webhook_timeout: seconds to wait for the webhook's answer.
        """
        if not TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like '<digits>:<letters>'")
        self.token = token
        self.bot = User(id=int(token.split(":", 1)[0]), first_name=bot_first_name, username=bot_username)
        self.bot.is_bot = True
        self.privacy_mode = privacy_mode
        self.webhook_timeout = webhook_timeout
        self._default_limits = rate_limits or RateLimits()
        self.flood = FloodControl(self._default_limits, clock)
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._closing = False
        self._tick = asyncio.Event()
        self.version = 0  # grows with every change of the world: a saver knows when to save
        # Called with each message the bot sends, as it is recorded (benchmarks time replies with it).
        self.on_bot_message: list[Callable[[ChatMessage], None]] = []
        self._clear()
        self.api = BotApi(self)
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self.api.handle)
        self.app.router.add_route("GET", "/file/bot{token}/{path:.+}", self.api.handle_file)
        self.app[control.EMULATOR] = self
        self.app.add_routes(control.routes)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve HTTP on ``host:port`` (0 = any free port); return the base URL."""
        self._closing = False
        self._http = ClientSession()
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1] if self._runner.addresses else port
        self.base_url = f"http://{host}:{bound_port}"
        if self._webhook is not None:
            self._ensure_webhook_task()
        log.info("telegram emulator listening on %s (bot id %s)", self.base_url, self.bot.id)
        return self.base_url

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and the HTTP server."""
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """The base URL to give aiogram's ``TelegramAPIServer.from_base``."""
        if self.base_url is None:
            raise RuntimeError("the emulator is not started")
        return self.base_url

    # ------------------------------------------------------------------ state

    def _clear(self) -> None:
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._messages: dict[int, list[ChatMessage]] = {}
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[StoredFile]] = {}
        self._updates: list[Json] = []
        self._update_ids = Counter()
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._webhook: Webhook | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._seq = Counter()
        self._file_counter = Counter()
        self._query_ids = Counter()
        self._poll_ids = Counter()
        self._active_poll: int | None = None
        self._terminated_polls: set[int] = set()
        self._callback_queries: dict[str, Json] = {}
        self.webhook_deliveries: list[WebhookDelivery] = []
        """Every webhook POST in order, with the status the webhook answered."""
        self.callback_answers: dict[str, Json] = {}
        """answerCallbackQuery calls by query id: ``{"text", "show_alert", "url", "cache_time"}``."""
        self.commands: dict[tuple[str, str], list[Json]] = {}
        """setMyCommands by (scope JSON, language_code): the command list."""
        self.deleted_updates = 0

    def reset(self) -> None:
        """Forget every user, chat, message, file, update, webhook and limit (the server keeps running)."""
        self._clear()
        self.flood.reset(self._default_limits)
        self._notify()

    def _notify(self) -> None:
        self.version += 1
        self._tick.set()
        self._tick = asyncio.Event()

    async def _wait_until(self, ready: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``ready()`` holds; False on timeout or when the emulator stops."""
        try:
            async with asyncio.timeout(timeout):
                while not ready():
                    if self._closing:
                        return False
                    await self._tick.wait()
        except TimeoutError:
            return ready()
        return True

    # ------------------------------------------------------------------ users and chats

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        has_started: bool = True,
    ) -> User:
        """Create (or replace) a user and their private chat with the bot.

        ``has_started=False`` models a person who never opened the bot: sends then fail with 403.
        """
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = User(user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        old = self._chats.get(user_id)
        chat = Chat(id=user_id, type="private", user=user, members={user_id: "member"}, started=has_started)
        if old is not None:
            chat.next_message_id = old.next_message_id
        self._chats[user_id] = chat
        self._messages.setdefault(user_id, [])
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[int] = (),
        *,
        creator_id: int | None = None,
        supergroup: bool = False,
        bot_is_member: bool = True,
    ) -> Chat:
        """Create a group (negative id) of known users; the bot is in it unless told otherwise.

        No update is produced; use ``add_bot_to_group`` to emulate the bot being added.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        member_ids = list(members)
        if creator_id is not None and creator_id not in member_ids:
            member_ids.insert(0, creator_id)
        statuses: dict[int, str] = {}
        for uid in member_ids:
            self.user(uid)
            statuses[uid] = "creator" if uid == creator_id else "member"
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            members=statuses,
            bot_status="member" if bot_is_member else "left",
        )
        old = self._chats.get(chat_id)
        if old is not None:  # made again (a restarted page): its messages keep their numbers
            chat.next_message_id = old.next_message_id
            chat.members = {**old.members, **statuses}
        self._chats[chat_id] = chat
        self._messages.setdefault(chat_id, [])
        return chat

    def user(self, user_id: int) -> User:
        """A known user, or KeyError."""
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"unknown user {user_id}") from None

    def chat(self, chat_id: int) -> Chat:
        """A known chat (private chats have the user's id), or KeyError."""
        try:
            return self._chats[chat_id]
        except KeyError:
            raise KeyError(f"unknown chat {chat_id}") from None

    @property
    def users(self) -> list[User]:
        return list(self._users.values())

    @property
    def chats(self) -> list[Chat]:
        return list(self._chats.values())

    def add_member(self, chat_id: int, user_id: int) -> None:
        """Put a known user into a group (no update)."""
        self.user(user_id)
        self.chat(chat_id).members.setdefault(user_id, "member")

    def _group(self, chat_id: int) -> Chat:
        chat = self.chat(chat_id)
        if chat.is_private:
            raise ValueError(f"chat {chat_id} is not a group")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        return chat

    def _member_update(self, chat: Chat, by: User, old: str, new: str) -> None:
        self._push_update(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": by.to_json(),
                "date": now_ts(),
                "old_chat_member": self.member_json(self.bot, old),
                "new_chat_member": self.member_json(self.bot, new),
            },
        )

    def add_bot_to_group(self, chat_id: int, by_user_id: int, *, as_admin: bool = False) -> None:
        """A member adds the bot: a ``my_chat_member`` update, then a ``new_chat_members`` message."""
        chat = self._group(chat_id)
        by = self.user(by_user_id)
        old = chat.bot_status
        chat.bot_status = "administrator" if as_admin else "member"
        chat.blocked = False
        chat.members.setdefault(by.id, "member")
        self._member_update(chat, by, old, chat.bot_status)
        self._user_message(by, chat, {"new_chat_members": [self.bot.to_json()]})

    def remove_bot_from_group(self, chat_id: int, by_user_id: int) -> None:
        """A member removes the bot: a ``my_chat_member`` update (left in groups, kicked in supergroups)."""
        chat = self._group(chat_id)
        by = self.user(by_user_id)
        old = chat.bot_status
        chat.bot_status = "kicked" if chat.type == "supergroup" else "left"
        self._member_update(chat, by, old, chat.bot_status)

    def migrate_group(
        self, chat_id: int, new_chat_id: int | None = None, *, by_user_id: int | None = None
    ) -> int:
        """Upgrade a group to a supergroup with a new id; return the new id.

        The old chat gets a ``migrate_to_chat_id`` service message, the new one ``migrate_from_chat_id``;
        sends to the old id then fail with 400 and ``parameters.migrate_to_chat_id``.
        """
        old = self._group(chat_id)
        if old.type != "group":
            raise ValueError("only basic groups can be migrated")
        if new_chat_id is None:
            new_chat_id = int(f"-100{abs(chat_id):010d}")
        if new_chat_id in self._chats:
            raise ValueError(f"chat {new_chat_id} exists already")
        creator = next((uid for uid, s in old.members.items() if s == "creator"), None)
        by_id = by_user_id or creator or next(iter(old.members), None)
        if by_id is None:
            raise ValueError("the group has no members to migrate it")
        by = self.user(by_id)
        new = Chat(
            id=new_chat_id,
            type="supergroup",
            title=old.title,
            members=dict(old.members),
            bot_status=old.bot_status,
        )
        self._chats[new_chat_id] = new
        self._messages[new_chat_id] = []
        self._user_message(by, old, {"migrate_to_chat_id": new_chat_id})
        old.migrated_to = new_chat_id
        self._user_message(by, new, {"migrate_from_chat_id": chat_id})
        return new_chat_id

    def set_blocked(self, chat_id: int, blocked: bool = True, *, notify: bool = True) -> None:
        """Block (or unblock) the bot: sends then fail with 403.

        In a private chat the user blocks the bot; in a group the bot is kicked. With ``notify`` the
        bot gets the ``my_chat_member`` update Telegram would send.
        """
        chat = self.chat(chat_id)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        if chat.is_private:
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
        else:
            old = chat.bot_status
            new = chat.bot_status = "kicked" if blocked else "member"
        by_id = chat.id if chat.is_private else next(iter(chat.members), None)
        if notify and by_id is not None:
            self._member_update(chat, self.user(by_id), old, new)

    def limit_chat(self, chat_id: int, retry_after: float, *, from_next_send: bool = False) -> None:
        """Answer sends to ``chat_id`` with 429 for ``retry_after`` seconds of the clock (0 lifts it),
        counted from now or, with ``from_next_send``, from the next send to the chat."""
        if from_next_send:
            self.flood.force_from_next_send(chat_id, retry_after)
        else:
            self.flood.force(chat_id, retry_after)

    @property
    def rate_limits(self) -> RateLimits:
        return self.flood.limits

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Replace the flood limits (``None`` lifts them all) and refill every bucket."""
        self.flood.reset(limits or RateLimits.unlimited())

    # ------------------------------------------------------------------ files

    def store_file(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Keep bytes as a Telegram file with a fresh file_id / file_unique_id."""
        n = next(self._file_counter)
        digest = hashlib.sha256(data).digest()
        unique = base64.urlsafe_b64encode(digest[:9] + n.to_bytes(4, "big")).decode().rstrip("=")
        file_id = (
            "EMU" + kind[:2].upper() + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        )
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        folder = {"photo": "photos", "voice": "voice", "sticker": "stickers"}.get(kind, "documents")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            data=bytes(data),
            file_path=f"{folder}/file_{n}{suffix}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._files[file_id] = stored
        self._paths[stored.file_path] = stored
        return stored

    def store_photo(self, data: bytes) -> list[StoredFile]:
        """Store a photo the Telegram way: several sizes (smallest first, the original last)."""
        sizes = [self.store_file(blob, "photo", width=w, height=h) for blob, w, h in image_sizes(data)]
        for size in sizes:
            self._photo_sets[size.file_id] = sizes
        return sizes

    def photo_sizes(self, stored: StoredFile) -> list[StoredFile]:
        """All sizes of the photo ``stored`` belongs to (a document is made into a new photo)."""
        return self._photo_sets.get(stored.file_id) or self.store_photo(stored.data)

    def file(self, file_id: str) -> StoredFile:
        """A stored file by file_id, or KeyError."""
        try:
            return self._files[file_id]
        except KeyError:
            raise KeyError(f"unknown file {file_id}") from None

    def file_by_path(self, file_path: str) -> StoredFile | None:
        return self._paths.get(file_path)

    def file_bytes(self, file_id: str) -> bytes:
        return self.file(file_id).data

    # ------------------------------------------------------------------ messages

    def _record(
        self,
        chat: Chat,
        message: Json,
        *,
        from_bot: bool,
        sender_id: int,
        reply_markup: Json | None = None,
        media: Sequence[StoredFile] = (),
    ) -> ChatMessage:
        record = ChatMessage(
            chat_id=chat.id,
            message_id=message["message_id"],
            from_bot=from_bot,
            sender_id=sender_id,
            message=message,
            reply_markup=reply_markup,
            media=list(media),
            seq=next(self._seq),
        )
        self._messages.setdefault(chat.id, []).append(record)
        if from_bot:
            for observer in self.on_bot_message:
                observer(record)
        self._notify()
        return record

    def touch(self, record: ChatMessage) -> None:
        """Mark a message as changed (new ``seq``) and wake waiters."""
        record.seq = next(self._seq)
        self._notify()

    def find_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        for record in self._messages.get(chat_id, ()):
            if record.message_id == message_id:
                return record
        return None

    def sent(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Everything the bot sent to a chat, in order, edits applied."""
        return [
            r for r in self._messages.get(chat_id, ()) if r.from_bot and (include_deleted or not r.deleted)
        ]

    def history(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The whole conversation in a chat (users' and the bot's messages), in order."""
        return [r for r in self._messages.get(chat_id, ()) if include_deleted or not r.deleted]

    def changes(self, since: int = 0) -> list[ChatMessage]:
        """Messages created or changed after ``seq`` ``since``, across all chats, oldest change first."""
        found = [r for records in self._messages.values() for r in records if r.seq > since]
        return sorted(found, key=lambda r: r.seq)

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list[ChatMessage]:
        """Wait until the bot has sent at least ``count`` messages to the chat (deleted ones count too).

        Returns all of them (not deleted); raises ``TimeoutError`` with what did arrive.
        """

        def ready() -> bool:
            return len(self.sent(chat_id, include_deleted=True)) >= count

        if not await self._wait_until(ready, timeout):
            got = [r.text or r.caption or "<media>" for r in self.sent(chat_id)]
            raise TimeoutError(
                f"chat {chat_id}: expected {count} bot messages within {timeout}s, got {got!r}"
            )
        return self.sent(chat_id)

    def reply_keyboard(self, chat_id: int) -> Json | None:
        """The reply keyboard the user currently sees in a chat (None when removed or never sent)."""
        return self.chat(chat_id).reply_keyboard

    def _visible_to_bot(self, chat: Chat, message: Json) -> bool:
        if chat.is_private:
            return True
        if chat.bot_status not in ("member", "administrator", "creator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if any(key in message for key in _SERVICE_FIELDS):
            return True
        reply = message.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot.id:
            return True
        body = message.get("text") or message.get("caption") or ""
        mention = f"@{self.bot.username}".lower() if self.bot.username else None
        for entity in message.get("entities") or message.get("caption_entities") or []:
            if entity["type"] == "bot_command":
                return True
            if entity["type"] == "mention" and mention and mention in body.lower():
                return True
        return False

    def reply_json(self, chat: Chat, message_id: int) -> Json | None:
        record = self.find_message(chat.id, message_id)
        if record is None or record.deleted:
            return None
        return {k: v for k, v in record.message.items() if k != "reply_to_message"}

    def _user_message(
        self,
        user: User,
        chat: Chat,
        fields: Json,
        *,
        reply_to: int | None = None,
        media: Sequence[StoredFile] = (),
    ) -> Json:
        message: Json = {
            "message_id": chat.take_message_id(),
            "from": user.to_json(),
            "chat": chat.to_json(),
            "date": now_ts(),
        }
        if reply_to is not None:
            replied = self.reply_json(chat, reply_to)
            if replied is None:
                raise ValueError(f"no message {reply_to} in chat {chat.id}")
            message["reply_to_message"] = replied
        message.update(fields)
        self._record(chat, message, from_bot=False, sender_id=user.id, media=media)
        if self._visible_to_bot(chat, message):
            self._push_update("message", message)
        return message

    def _chat_of(self, user_id: int, chat_id: int | None) -> tuple[User, Chat]:
        user = self.user(user_id)
        chat = self.chat(user_id if chat_id is None else chat_id)
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat.id} was migrated to {chat.migrated_to}")
        if not chat.is_private and user_id not in chat.members:
            raise ValueError(f"user {user_id} is not a member of chat {chat.id}")
        if chat.is_private:
            if chat.id != user_id:
                raise ValueError("a user can only write in their own private chat with the bot")
            chat.started = True
            if chat.blocked:  # writing to a blocked bot restarts it
                self.set_blocked(chat.id, False)
        return user, chat

    def _after_user_input(self, chat: Chat) -> None:
        keyboard = chat.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None

    def inject_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> Json:
        """The user writes ``text`` (in their private chat unless ``chat_id``); returns the Message JSON.

        Commands (``/start abc``) and mentions get Telegram's entities.
        """
        if not text:
            raise ValueError("text is empty")
        user, chat = self._chat_of(user_id, chat_id)
        fields: Json = {"text": text}
        if entities := text_entities(text):
            fields["entities"] = entities
        message = self._user_message(user, chat, fields, reply_to=reply_to)
        self._after_user_input(chat)
        return message

    def inject_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        reply_to: int | None = None,
    ) -> Json:
        """The user sends a photo (stored in several sizes); ``media_group_id`` makes it part of an album."""
        user, chat = self._chat_of(user_id, chat_id)
        sizes = self.store_photo(data)
        fields: Json = {"photo": [s.photo_size_json() for s in sizes]}
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        if caption:
            fields["caption"] = caption
            if entities := text_entities(caption):
                fields["caption_entities"] = entities
        return self._user_message(user, chat, fields, reply_to=reply_to, media=[sizes[-1]])

    def inject_album(
        self,
        user_id: int,
        photos: Sequence[bytes],
        *,
        chat_id: int | None = None,
        caption: str | None = None,
    ) -> list[Json]:
        """The user sends several photos at once: one message each, sharing a ``media_group_id``."""
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album holds 2 to 10 photos")
        group_id = str(10**17 + next(self._file_counter))
        return [
            self.inject_photo(
                user_id,
                data,
                chat_id=chat_id,
                caption=caption if i == 0 else None,
                media_group_id=group_id,
            )
            for i, data in enumerate(photos)
        ]

    def inject_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        mime_type: str | None = None,
        chat_id: int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> Json:
        """The user sends a file (e.g. a full-resolution photo sent "as file", or a PDF)."""
        user, chat = self._chat_of(user_id, chat_id)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = self.store_file(data, "document", file_name=file_name, mime_type=mime)
        fields: Json = {"document": stored.document_json()}
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        if caption:
            fields["caption"] = caption
        return self._user_message(user, chat, fields, media=[stored])

    def inject_voice(
        self,
        user_id: int,
        data: bytes,
        *,
        duration: int = 1,
        mime_type: str = "audio/ogg",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> Json:
        """The user records a voice note (OGG/Opus as Telegram's apps send it)."""
        user, chat = self._chat_of(user_id, chat_id)
        stored = self.store_file(data, "voice", file_name="voice.oga", mime_type=mime_type)
        voice: Json = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        return self._user_message(user, chat, {"voice": voice}, reply_to=reply_to, media=[stored])

    def inject_sticker(self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None) -> Json:
        """The user sends a sticker (a static WEBP one; the bot sees its emoji, not words)."""
        user, chat = self._chat_of(user_id, chat_id)
        stored = self.store_file(b"RIFF\x00\x00\x00\x00WEBP", "sticker", file_name="sticker.webp")
        sticker: Json = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._user_message(user, chat, {"sticker": sticker}, media=[stored])

    def inject_contact(
        self, user_id: int, phone_number: str, *, chat_id: int | None = None, own: bool = True
    ) -> Json:
        """The user shares a phone number (the ``request_contact`` button); ``contact.user_id`` is theirs."""
        user, chat = self._chat_of(user_id, chat_id)
        contact: Json = {"phone_number": phone_number, "first_name": user.first_name}
        if user.last_name:
            contact["last_name"] = user.last_name
        if own:
            contact["user_id"] = user.id
        message = self._user_message(user, chat, {"contact": contact})
        self._after_user_input(chat)
        return message

    def press_button(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """The user presses an inline button with ``callback_data`` on a bot message; returns the query id."""
        user = self.user(user_id)
        chat = self.chat(user_id if chat_id is None else chat_id)
        record = self.find_message(chat.id, message_id)
        if record is None or record.deleted or not record.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat.id}")
        buttons = [b for row in record.inline_keyboard for b in row]
        if not any(b.get("callback_data") == callback_data for b in buttons):
            raise ValueError(f"message {message_id} has no button with callback_data {callback_data!r}")
        query_id = f"{self.bot.id}{next(self._query_ids):08d}"
        query: Json = {
            "id": query_id,
            "from": user.to_json(),
            "message": record.message,
            "chat_instance": str(abs(chat.id) * 31 + 7),
            "data": callback_data,
        }
        self._callback_queries[query_id] = query
        self._push_update("callback_query", query)
        return query_id

    def callback_query(self, query_id: str) -> Json | None:
        return self._callback_queries.get(query_id)

    # ------------------------------------------------------------------ updates

    def _push_update(self, kind: str, payload: Json) -> None:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        log.debug("update %s (%s) queued", update_id, kind)
        self._notify()

    @property
    def pending_updates(self) -> list[Json]:
        """Updates not yet confirmed (getUpdates) or delivered (webhook)."""
        return list(self._updates)

    @staticmethod
    def _wanted(update: Json, allowed: frozenset[str]) -> bool:
        return next(k for k in update if k != "update_id") in allowed

    def _drop_unwanted(self, allowed: frozenset[str]) -> None:
        keep = [u for u in self._updates if self._wanted(u, allowed)]
        self.deleted_updates += len(self._updates) - len(keep)
        self._updates = keep

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Telegram's rule: ``None`` keeps the previous choice, ``[]`` restores the default set."""
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def confirm_updates(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        pending = len(self._updates)
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if len(self._updates) != pending:
            self.version += 1  # a saved world forgets what the bot has confirmed

    async def poll_updates(self, limit: int, timeout: float) -> list[Json]:
        """One getUpdates wait; raises 409 if another getUpdates call takes over meanwhile."""
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        poll_id = next(self._poll_ids)
        if self._active_poll is not None:
            self._terminated_polls.add(self._active_poll)
        self._active_poll = poll_id
        self._notify()

        def ready() -> bool:
            self._drop_unwanted(self._allowed_updates)
            return bool(self._updates) or poll_id in self._terminated_polls or self._webhook is not None

        try:
            await self._wait_until(ready, timeout)
        finally:
            if self._active_poll == poll_id:
                self._active_poll = None
        if poll_id in self._terminated_polls:
            self._terminated_polls.discard(poll_id)
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if self._webhook is not None:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        return self._updates[:limit]

    # ------------------------------------------------------------------ webhook

    @property
    def webhook(self) -> Webhook | None:
        return self._webhook

    def set_webhook(
        self,
        url: str,
        *,
        secret_token: str | None = None,
        drop_pending_updates: bool = False,
        allowed_updates: list[str] | None = None,
        max_connections: int = 40,
    ) -> None:
        """What setWebhook does; an empty ``url`` removes the webhook."""
        if drop_pending_updates:
            self._updates = []
        self.set_allowed_updates(allowed_updates)
        if not url:
            self._webhook = None
        else:
            self._webhook = Webhook(url, secret_token, max_connections, allowed_updates)
            self._webhook_error = None
            self._ensure_webhook_task()
        self._notify()

    def delete_webhook(self, *, drop_pending_updates: bool = False) -> None:
        if drop_pending_updates:
            self._updates = []
        self._webhook = None
        self._notify()

    def webhook_info(self) -> Json:
        info: Json = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates:
                info["allowed_updates"] = self._webhook.allowed_updates
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[WebhookDelivery]:
        """Wait until ``count`` webhook POSTs have been answered (or failed)."""
        if not await self._wait_until(lambda: len(self.webhook_deliveries) >= count, timeout):
            raise TimeoutError(f"expected {count} webhook deliveries, got {len(self.webhook_deliveries)}")
        return list(self.webhook_deliveries)

    def _ensure_webhook_task(self) -> None:
        if self._http is None or self._closing:
            return  # not started yet: start() picks the webhook up
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        """Deliver like Telegram: up to the webhook's ``max_connections`` requests at once. An update
        the webhook did not take (no 2xx answer) is offered again, first, after a pause."""
        in_flight: dict[asyncio.Task[bool], Json] = {}
        loop = asyncio.get_running_loop()
        resume_at = 0.0
        try:
            while self._webhook is not None and not self._closing:
                hook = self._webhook
                if len(in_flight) < hook.max_connections and loop.time() >= resume_at:
                    update = self._next_wanted()
                    if update is not None:
                        in_flight[loop.create_task(self._deliver(hook, update))] = update
                        continue
                tick = loop.create_task(self._tick.wait())
                timeout = max(resume_at - loop.time(), 0.0) or None
                done, _ = await asyncio.wait(
                    [tick, *in_flight], timeout=timeout, return_when="FIRST_COMPLETED"
                )
                tick.cancel()
                for task in done.intersection(in_flight):
                    update = in_flight.pop(task)
                    if not task.result():
                        self._updates.insert(0, update)
                        resume_at = loop.time() + WEBHOOK_RETRY_SECONDS
        finally:
            for task in in_flight:
                task.cancel()

    def _next_wanted(self) -> Json | None:
        """The oldest pending update of a kind the webhook asked for; others are dropped."""
        while self._updates:
            update = self._updates.pop(0)
            if self._wanted(update, self._allowed_updates):
                return update
            self.deleted_updates += 1
        return None

    async def _deliver(self, hook: Webhook, update: Json) -> bool:
        """POST one update; whether the webhook took it (a 2xx answer)."""
        assert self._http is not None
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        delivery = WebhookDelivery(update_id=update["update_id"], status=None)
        answer = None
        try:
            async with self._http.post(
                hook.url, json=update, headers=headers, timeout=ClientTimeout(total=self.webhook_timeout)
            ) as response:
                delivery.status = response.status
                if 200 <= response.status < 300:
                    answer = await read_method_answer(response)
                else:
                    delivery.error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except Exception as exc:  # a webhook that cannot be reached is recorded, not raised
            delivery.error = f"Connection failed: {type(exc).__name__}"
        if delivery.error:
            self._webhook_error = (now_ts(), delivery.error)
            log.info("webhook delivery of update %s failed: %s", delivery.update_id, delivery.error)
        if answer is not None:
            method, params = answer
            delivery.method = method
            try:
                await self.api.call(method, params)
            except ApiError as exc:
                delivery.method_error = exc.description
        self.webhook_deliveries.append(delivery)
        self._notify()
        return delivery.error is None

    # ------------------------------------------------------------------ JSON helpers

    def member_json(self, user: User, status: str) -> Json:
        """A ChatMember object of the given status for ``user``."""
        data: Json = {"status": status, "user": user.to_json()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data.update(dict.fromkeys(_ADMIN_RIGHTS, False))
            data.update(can_manage_chat=True, can_delete_messages=True, can_invite_users=True)
        elif status == "kicked":
            data["until_date"] = 0
        return data


_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
