"""A class teacher's saved announcements: the text of a message that comes back every term (the
parents' meeting, the documents to bring), with placeholders such as {date} filled in each time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class BroadcastTemplate(SQLModel, table=True):
    __tablename__ = "broadcast_template"
    __table_args__ = (UniqueConstraint("author_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=60)
    text: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
