"""A local Telegram Bot API server for tests and the sandbox.

The real aiogram client talks HTTP to it unchanged::

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from sandbox.telegram_emulator import TelegramEmulator, RateLimits

    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as emu:
        bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.api_url)))
        emu.add_user(1001, "Aruzhan", language_code="kk")
        emu.inject_text(1001, "/start")            # a pupil writes to the bot
        await bot.send_message(1001, "Сәлем!")     # the bot answers
        [reply] = await emu.wait_for_messages(1001, 1)

Constructor: ``TelegramEmulator(token=DEFAULT_TOKEN, *, bot_username, bot_first_name, rate_limits,
clock, privacy_mode=True, webhook_timeout=10.0)``. Only ``token`` is accepted (anything else: 401);
the bot's id is the number before ``:``. ``clock`` (monotonic seconds) drives the flood limits, so
tests move time with a fake instead of sleeping.

Lifecycle: ``await emu.start(host="127.0.0.1", port=0)`` returns the base URL (also ``emu.api_url``),
``await emu.stop()``; or ``async with TelegramEmulator() as emu``. ``emu.app`` is the aiohttp
application, for adding routes (e.g. a page) before ``start``.

Bot API (``/bot<token>/<method>``, GET or POST, JSON / urlencoded / multipart): getMe, getUpdates
(long polling; a newer getUpdates terminates a pending one with 409; 409 while a webhook is set),
setWebhook / deleteWebhook / getWebhookInfo, sendMessage, sendPhoto, sendDocument, sendMediaGroup,
editMessageText, editMessageCaption, editMessageReplyMarkup, answerCallbackQuery, getFile (+ download
at ``/file/bot<token>/<file_path>``), getChat, getChatMember, setMyCommands / getMyCommands /
deleteMyCommands, deleteMessage, sendChatAction. Errors use Telegram's texts: 400 "Bad Request: chat
not found" / "message text is empty" / "file is too big" / "group chat was upgraded to a supergroup
chat" (+ ``parameters.migrate_to_chat_id``), 403 "Forbidden: bot was blocked by the user", 429 "Too
Many Requests: retry after N" (+ ``parameters.retry_after``), 401 "Unauthorized", 404 "Not Found".

Control methods (call them on the loop the emulator runs on):

- world: ``add_user(id, first_name, *, last_name, username, language_code, has_started=True)``,
  ``add_group(id<0, title, members, *, creator_id, supergroup=False, bot_is_member=True)``,
  ``add_member``, ``add_bot_to_group(chat_id, by_user_id, *, as_admin)``,
  ``remove_bot_from_group(chat_id, by_user_id)``, ``migrate_group(chat_id, new_chat_id=None) -> new id``,
  ``set_blocked(chat_id, blocked=True, *, notify=True)``,
  ``limit_chat(chat_id, retry_after, *, from_next_send)``, ``set_rate_limits(RateLimits | None)``,
  ``reset()``.
- a user acts (private chat unless ``chat_id``): ``inject_text(user_id, text, *, chat_id, reply_to)``,
  ``inject_photo(user_id, data, *, chat_id, caption, media_group_id)``, ``inject_album(user_id,
  [bytes, ...], *, caption)``, ``inject_document(user_id, data, file_name, *, mime_type, caption)``,
  ``inject_contact(user_id, phone_number)``, ``press_button(user_id, message_id, callback_data,
  *, chat_id) -> callback query id``. Each returns the Telegram Message JSON it produced.
- reading: ``sent(chat_id)`` (the bot's messages, edits applied, as ``ChatMessage`` with ``text``,
  ``caption``, ``reply_markup``, ``media[i].data``), ``history(chat_id)`` (both sides),
  ``changes(since_seq)``, ``await wait_for_messages(chat_id, count, timeout=5)``,
  ``reply_keyboard(chat_id)``, ``callback_answers``, ``commands``, ``webhook_deliveries``,
  ``await wait_for_deliveries(count)``, ``pending_updates``, ``file_bytes(file_id)``.

HTTP control API (JSON in and out; errors ``{"error": ...}`` with 400/404/408):

- ``GET /_emulator/state``; ``POST /_emulator/reset``
- ``POST /_emulator/users`` {id, first_name, last_name?, username?, language_code?, has_started?}
- ``POST /_emulator/groups`` {id, title, members: [ids], creator_id?, supergroup?, bot_is_member?}
- ``POST /_emulator/groups/{chat_id}/members`` {user_id}
- ``POST /_emulator/groups/{chat_id}/bot`` {action: "add"|"remove", by_user_id, as_admin?}
- ``POST /_emulator/groups/{chat_id}/migrate`` {new_chat_id?, by_user_id?} -> {migrate_to_chat_id}
- ``POST /_emulator/users/{user_id}/text`` {text, chat_id?, reply_to?} -> {message}
- ``POST /_emulator/users/{user_id}/photo`` {data_base64 | multipart "file", chat_id?, caption?,
  media_group_id?}; ``.../album`` {photos_base64: [..], caption?, chat_id?} -> {messages}
- ``POST /_emulator/users/{user_id}/document`` {data_base64 | "file", file_name, mime_type?, caption?}
- ``POST /_emulator/users/{user_id}/contact`` {phone_number, chat_id?}
- ``POST /_emulator/users/{user_id}/press`` {message_id, callback_data, chat_id?} -> {callback_query_id}
- ``GET /_emulator/chats/{chat_id}/messages[?all=1&include_deleted=1]`` -> {messages: [ChatMessage]}
- ``GET /_emulator/chats/{chat_id}/wait?count=N&timeout=S`` -> {messages} or 408
- ``POST /_emulator/chats/{chat_id}/blocked`` {blocked: bool, notify?};
  ``POST /_emulator/chats/{chat_id}/rate_limit`` {retry_after, from_next_send?}
- ``GET /_emulator/changes?since=SEQ`` -> {messages, last_seq}: every message created or changed since
- ``GET /_emulator/files/{file_id}`` -> the bytes
- ``GET|PUT /_emulator/rate_limits`` (PUT {} or {"unlimited": true} lifts them; else RateLimits fields)
- ``GET /_emulator/webhook/deliveries``, ``GET /_emulator/callback_answers``, ``GET /_emulator/updates``
"""

from .emulator import DEFAULT_TOKEN, TelegramEmulator
from .limits import RateLimits
from .state import ChatMessage, StoredFile, User, WebhookDelivery

__all__ = [
    "DEFAULT_TOKEN",
    "ChatMessage",
    "RateLimits",
    "StoredFile",
    "TelegramEmulator",
    "User",
    "WebhookDelivery",
]
