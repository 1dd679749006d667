"""Which chats a handler takes, as awaitable filters.

aiogram runs a synchronous filter, a magic one like `F.chat.type == "private"` included, on a
worker thread (`asyncio.to_thread`) for every update it checks; under load that thread hop cost
more than the rest of the update's handling. A `Filter` subclass is awaited on the event loop.
"""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import ChatMemberUpdated, Message


class ChatType(Filter):
    def __init__(self, *types: str) -> None:
        self.types = frozenset(types)

    async def __call__(self, event: Message | ChatMemberUpdated) -> bool:
        return event.chat.type in self.types


PRIVATE = ChatType("private")
GROUP = ChatType("group", "supergroup")
