"""The Bot API methods, answering with Telegram's shapes and error texts."""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import ClientTimeout, web

from .params import ApiError, Params, Upload, bad_request, read_request
from .state import (
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_TEXT,
    MAX_UPLOAD,
    Chat,
    ChatMessage,
    Json,
    StoredFile,
    now_ts,
)

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

log = logging.getLogger("sandbox.telegram_emulator")

Method = Callable[[Params], Awaitable[Any]]
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_ACCEPTED_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.code)


class BotApi:
    """Implements ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` on a ``TelegramEmulator``."""

    def __init__(self, emu: TelegramEmulator) -> None:
        self.emu = emu
        self.methods: dict[str, Method] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "sendmediagroup": self.send_media_group,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "answercallbackquery": self.answer_callback_query,
            "getfile": self.get_file,
            "getchat": self.get_chat,
            "getchatmember": self.get_chat_member,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "deletemessage": self.delete_message,
            "sendchataction": self.send_chat_action,
            "logout": self.ok,
            "close": self.ok,
        }

    # ------------------------------------------------------------------ HTTP

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.emu.token:
            return _error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        try:
            params = await read_request(request)
            result = await self.call(method, params)
        except ApiError as error:
            log.debug("%s -> %s", method, error.code)
            return _error_response(error)
        return web.json_response({"ok": True, "result": result})

    async def handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.emu.token:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self.emu.file_by_path(request.match_info["path"])
        if stored is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def call(self, method: str, params: Params) -> Any:
        """Run one Bot API method; raises ``ApiError`` as Telegram would answer."""
        handler = self.methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return await handler(params)

    # ------------------------------------------------------------------ checks

    def _known_chat(self, params: Params) -> Chat:
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.emu._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": chat.migrated_to}
            )
        return chat

    def _writable_chat(self, params: Params) -> Chat:
        chat = self._known_chat(params)
        if chat.is_private:
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _flood(self, chat: Chat) -> None:
        retry_after = self.emu.flood.acquire(chat.id, chat.is_private)
        if retry_after is not None:
            log.debug("flood limit in chat %s: retry after %s", chat.id, retry_after)
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _markup(self, params: Params) -> Json | None:
        markup = params.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
        elif "keyboard" in markup:
            if not isinstance(markup["keyboard"], list):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
            raise bad_request('can\'t find field "inline_keyboard"')
        return markup

    def _reply_to(self, chat: Chat, params: Params) -> Json | None:
        reply = params.json("reply_parameters")
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.flag("allow_sending_without_reply")
        if isinstance(reply, dict) and reply.get("message_id"):
            message_id = int(reply["message_id"])
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if not message_id:
            return None
        replied = self.emu.reply_json(chat, message_id)
        if replied is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return replied

    def _text(self, params: Params, name: str, limit: int, *, required: bool) -> str | None:
        text = params.string(name)
        if text is None or not text.strip():
            if required:
                raise bad_request("message text is empty")
            return None
        if len(text) > limit:
            raise bad_request("message is too long" if name == "text" else "message caption is too long")
        return text

    def _send(
        self,
        chat: Chat,
        fields: Json,
        markup: Json | None,
        reply: Json | None,
        media: list[StoredFile],
    ) -> ChatMessage:
        message: Json = {
            "message_id": chat.take_message_id(),
            "from": self.emu.bot.to_json(),
            "chat": chat.to_json(),
            "date": now_ts(),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(fields)
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        record = self.emu._record(
            chat, message, from_bot=True, sender_id=self.emu.bot.id, reply_markup=markup, media=media
        )
        log.debug("bot message %s in chat %s", record.message_id, chat.id)
        return record

    # ------------------------------------------------------------------ files

    async def _input_file(self, params: Params, name: str) -> Upload | StoredFile:
        value = params.raw(name)
        if (value is None or value == "") and name in params.files:
            return params.files[name]
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {name} in the request")
        return await self._file_reference(value, params)

    async def _file_reference(self, value: str, params: Params) -> Upload | StoredFile:
        if value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if len(upload.data) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            return upload
        if value.startswith(("http://", "https://")):
            http = self.emu._http
            if http is None:
                raise bad_request("failed to get HTTP URL content")
            try:
                async with http.get(value, timeout=ClientTimeout(total=10)) as response:
                    if response.status != 200:
                        raise bad_request("failed to get HTTP URL content")
                    data = await response.read()
            except ApiError:
                raise
            except Exception:
                raise bad_request("failed to get HTTP URL content") from None
            return Upload(data, value.rsplit("/", 1)[-1] or "file", response.content_type)
        try:
            return self.emu.file(value)
        except KeyError:
            raise bad_request("wrong file identifier/HTTP URL specified") from None

    def _photo_fields(self, source: Upload | StoredFile) -> tuple[Json, StoredFile]:
        if isinstance(source, Upload):
            sizes = self.emu.store_photo(source.data)
        else:
            sizes = self.emu.photo_sizes(source)
        return {"photo": [s.photo_size_json() for s in sizes]}, sizes[-1]

    def _document_fields(self, source: Upload | StoredFile) -> tuple[Json, StoredFile]:
        if isinstance(source, Upload):
            name = source.filename or "file"
            mime = source.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            stored = self.emu.store_file(source.data, "document", file_name=name, mime_type=mime)
        else:
            stored = source
        return {"document": stored.document_json()}, stored

    def _caption_fields(self, params: Params) -> Json:
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        fields: Json = {}
        if caption is not None:
            fields["caption"] = caption
            entities = params.json("caption_entities")
            if entities:
                fields["caption_entities"] = entities
        return fields

    # ------------------------------------------------------------------ methods

    async def ok(self, params: Params) -> bool:
        return True

    async def get_me(self, params: Params) -> Json:
        data = self.emu.bot.to_json()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.emu.privacy_mode,
            supports_inline_queries=False,
        )
        return data

    async def get_updates(self, params: Params) -> list[Json]:
        if self.emu.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = min(100, max(1, params.integer("limit") or 100))
        timeout = max(0, params.integer("timeout") or 0)
        allowed = params.json("allowed_updates")
        self.emu.confirm_updates(params.integer("offset"))
        if isinstance(allowed, list):
            self.emu.set_allowed_updates([str(a) for a in allowed])
        return await self.emu.poll_updates(limit, float(timeout))

    async def set_webhook(self, params: Params) -> bool:
        url = params.string("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.string("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates")
        self.emu.set_webhook(
            url,
            secret_token=secret,
            drop_pending_updates=params.flag("drop_pending_updates"),
            allowed_updates=[str(a) for a in allowed] if isinstance(allowed, list) else None,
            max_connections=params.integer("max_connections") or 40,
        )
        return True

    async def delete_webhook(self, params: Params) -> bool:
        self.emu.delete_webhook(drop_pending_updates=params.flag("drop_pending_updates"))
        return True

    async def get_webhook_info(self, params: Params) -> Json:
        return self.emu.webhook_info()

    async def send_message(self, params: Params) -> Json:
        chat = self._writable_chat(params)
        text = self._text(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        reply = self._reply_to(chat, params)
        fields: Json = {"text": text}
        entities = params.json("entities")
        if entities:
            fields["entities"] = entities
        self._flood(chat)
        return self._send(chat, fields, markup, reply, []).message

    async def send_photo(self, params: Params) -> Json:
        chat = self._writable_chat(params)
        source = await self._input_file(params, "photo")
        caption = self._caption_fields(params)
        markup = self._markup(params)
        reply = self._reply_to(chat, params)
        self._flood(chat)
        fields, largest = self._photo_fields(source)
        fields.update(caption)
        return self._send(chat, fields, markup, reply, [largest]).message

    async def send_document(self, params: Params) -> Json:
        chat = self._writable_chat(params)
        source = await self._input_file(params, "document")
        caption = self._caption_fields(params)
        markup = self._markup(params)
        reply = self._reply_to(chat, params)
        self._flood(chat)
        fields, stored = self._document_fields(source)
        fields.update(caption)
        return self._send(chat, fields, markup, reply, [stored]).message

    async def send_media_group(self, params: Params) -> list[Json]:
        chat = self._writable_chat(params)
        media = params.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media must include 2-10 items")
        sources: list[tuple[str, Upload | StoredFile, Json]] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                raise bad_request("unsupported media type (the emulator knows photo and document)")
            reference = item.get("media")
            if not isinstance(reference, str) or not reference:
                raise bad_request("there is no media in the request")
            source = await self._file_reference(reference, params)
            sources.append((item["type"], source, item))
        reply = self._reply_to(chat, params)
        self._flood(chat)
        group_id = str(10**17 + next(self.emu._file_counter))
        messages: list[Json] = []
        for kind, source, item in sources:
            if kind == "photo":
                fields, stored = self._photo_fields(source)
            else:
                fields, stored = self._document_fields(source)
            fields["media_group_id"] = group_id
            caption = item.get("caption")
            if caption:
                if len(caption) > MAX_CAPTION:
                    raise bad_request("message caption is too long")
                fields["caption"] = caption
            messages.append(self._send(chat, fields, None, reply, [stored]).message)
        return messages

    def _editable(self, params: Params) -> tuple[Chat, ChatMessage]:
        if params.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = self._writable_chat(params)
        message_id = params.integer("message_id", required=True)
        assert message_id is not None
        record = self.emu.find_message(chat.id, message_id)
        if record is None or record.deleted or not record.from_bot:
            raise bad_request("message to edit not found")
        return chat, record

    def _apply_edit(self, record: ChatMessage, changes: Json, markup: Json | None) -> Json:
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        unchanged = all(record.message.get(k) == v for k, v in changes.items() if v is not None)
        old_inline = record.message.get("reply_markup")
        if unchanged and inline == old_inline:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            if value is None:
                record.message.pop(key, None)
            else:
                record.message[key] = value
        if inline is None:
            record.message.pop("reply_markup", None)
        else:
            record.message["reply_markup"] = inline
        record.reply_markup = inline
        record.message["edit_date"] = now_ts()
        record.edited = True
        self.emu.touch(record)
        return record.message

    async def edit_message_text(self, params: Params) -> Json:
        _, record = self._editable(params)
        if "text" not in record.message:
            raise bad_request("there is no text in the message to edit")
        text = self._text(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        entities = params.json("entities") or None
        return self._apply_edit(record, {"text": text, "entities": entities}, markup)

    async def edit_message_caption(self, params: Params) -> Json:
        _, record = self._editable(params)
        if "text" in record.message:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption_fields(params)
        markup = self._markup(params)
        changes: Json = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
        }
        return self._apply_edit(record, changes, markup)

    async def edit_message_reply_markup(self, params: Params) -> Json:
        _, record = self._editable(params)
        return self._apply_edit(record, {}, self._markup(params))

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.string("callback_query_id", required=True)
        assert query_id is not None
        if self.emu.callback_query(query_id) is None or query_id in self.emu.callback_answers:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.string("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.emu.callback_answers[query_id] = {
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.string("url"),
            "cache_time": params.integer("cache_time") or 0,
        }
        self.emu._notify()
        return True

    async def get_file(self, params: Params) -> Json:
        file_id = params.string("file_id", required=True)
        assert file_id is not None
        try:
            stored = self.emu.file(file_id)
        except KeyError:
            raise bad_request("invalid file_id") from None
        if stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return stored.file_json()

    async def get_chat(self, params: Params) -> Json:
        chat = self._known_chat(params)
        data = chat.to_json()
        data.update(accent_color_id=0, max_reaction_count=11, accepted_gift_types=dict(_ACCEPTED_GIFTS))
        return data

    async def get_chat_member(self, params: Params) -> Json:
        chat = self._known_chat(params)
        user_id = params.integer("user_id", required=True)
        if user_id == self.emu.bot.id:
            status = "member" if chat.is_private else chat.bot_status
            if chat.is_private and chat.blocked:
                status = "kicked"
            return self.emu.member_json(self.emu.bot, status)
        user = self.emu._users.get(user_id or 0)
        if user is None or (chat.is_private and user.id != chat.id):
            raise bad_request("user not found")
        return self.emu.member_json(user, chat.members.get(user.id, "left"))

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.string("language_code") or ""

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters")
        self.emu.commands[self._commands_key(params)] = commands
        return True

    async def get_my_commands(self, params: Params) -> list[Json]:
        return self.emu.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> bool:
        self.emu.commands.pop(self._commands_key(params), None)
        return True

    async def delete_message(self, params: Params) -> bool:
        chat = self._known_chat(params)
        message_id = params.integer("message_id", required=True)
        record = self.emu.find_message(chat.id, message_id or 0)
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        if not record.from_bot and not chat.is_private and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        record.deleted = True
        self.emu.touch(record)
        return True

    async def send_chat_action(self, params: Params) -> bool:
        self._writable_chat(params)
        return True
