"""What happens to a linked class group chat outside any conversation: upgraded to a supergroup it
gets a new id (the class follows it, and announcements still waiting for the old id go to the new
one); with the bot removed from it, the class is unlinked so the teacher is offered /link again."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import select

from models.journal import AuditLog
from models.school import SchoolClass
from models.store import session_scope
from outbox.write import follow_group_chat

log = logging.getLogger(__name__)


def chat_migrated(engine: Engine, old_chat_id: int, new_chat_id: int) -> int:
    """Move every class linked to `old_chat_id` to `new_chat_id`; returns how many classes moved.
    Telegram announces the move in both chats, so a second call finds nothing to do."""
    with session_scope(engine) as session:
        classes = session.exec(select(SchoolClass).where(SchoolClass.telegram_chat_id == old_chat_id)).all()
        for klass in classes:
            klass.telegram_chat_id = new_chat_id
            session.add(
                AuditLog(
                    action="class.chat_migrated",
                    entity="class",
                    entity_id=klass.id,
                    detail={"from": old_chat_id, "to": new_chat_id},
                )
            )
        if classes:
            follow_group_chat(session, old_chat_id, new_chat_id)
            log.info("class chat %s moved to %s (%d classes)", old_chat_id, new_chat_id, len(classes))
        return len(classes)


def chat_left(engine: Engine, chat_id: int) -> int:
    """The bot was removed from the chat: unlink it from its class; returns how many classes."""
    with session_scope(engine) as session:
        classes = session.exec(select(SchoolClass).where(SchoolClass.telegram_chat_id == chat_id)).all()
        for klass in classes:
            klass.telegram_chat_id = None
            session.add(
                AuditLog(
                    action="class.chat_left", entity="class", entity_id=klass.id, detail={"chat": chat_id}
                )
            )
        return len(classes)
