"""The last reply of a turn as the webhook's answer.

Telegram lets a webhook answer its update with one Bot API call, which it then makes itself: the
reply costs the bot no request of its own and no parsing of Telegram's answer. Telegram does not
say whether that call succeeded, so it is used only where little can go wrong: a text reply in a
private chat that got nothing from this process in the last second (a 429 "too many requests"
there would lose the reply unseen). Everything else — earlier replies of the same turn, media,
group chats, a chat being answered quickly, an update still being handled when the webhook had to
answer — is sent as before, waiting out flood control.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bots.telegram.render import CHANNEL, keyboard
from handlers.types import Reply

# Telegram lets a bot send about one message per second to one chat, with short bursts.
CHAT_QUIET_SECONDS = 1.0

Call = dict[str, Any]


class WebhookAnswer:
    """The one call an update's webhook answer may carry: offered by the handler while the request
    waits, taken by the request when it answers (after which nothing more is accepted)."""

    def __init__(self) -> None:
        self._call: Call | None = None
        self._closed = False

    def offer(self, call: Call) -> bool:
        """Whether the answer takes the call; if not, the caller sends it."""
        if self._closed or self._call is not None:
            return False
        self._call = call
        return True

    def close(self) -> Call | None:
        self._closed = True
        return self._call


class RecentChats:
    """When each private chat last got a reply from this process, for the last second."""

    def __init__(
        self, quiet: float = CHAT_QUIET_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.quiet, self.clock = quiet, clock
        self._answered: dict[int, float] = {}  # oldest first

    def take_quiet(self, chat_id: int) -> bool:
        """Whether the chat has been quiet for a second; either way it is now answered."""
        now = self.clock()
        while self._answered:
            oldest, at = next(iter(self._answered.items()))
            if now - at < self.quiet:
                break
            del self._answered[oldest]
        quiet = chat_id not in self._answered
        self._answered.pop(chat_id, None)
        self._answered[chat_id] = now
        return quiet


def send_message_call(chat_id: int, reply: Reply, fallback_locale: str) -> Call | None:
    """The reply as a `sendMessage` call, or None for a reply with media (sent as a file)."""
    if reply.media_path:
        return None
    locale = reply.locale or fallback_locale
    call: Call = {"method": "sendMessage", "chat_id": chat_id, "text": reply.text.render(locale, CHANNEL)}
    buttons = keyboard(reply, locale)
    if buttons is not None:
        call["reply_markup"] = buttons
    return call
