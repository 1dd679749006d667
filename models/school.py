"""Programmes (their rules as data), schools, classes and tutoring groups."""

from __future__ import annotations

from datetime import time

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

DIGITAL_TUTOR_SUBJECTS = ["algebra", "geometry", "chemistry", "physics", "biology", "history_kz"]


class Programme(SQLModel, table=True):
    """A programme's rules. The defaults are the Digital Tutor («Цифрлық ұстаз») programme's."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    min_group_size: int = 3
    max_group_size: int = 5
    subjects: list[str] = Field(default_factory=lambda: list(DIGITAL_TUTOR_SUBJECTS), sa_type=JSON)
    subjects_per_pupil: int = 2
    lessons_per_week: int = 2
    lesson_minutes: int = 60
    outside_school_hours: bool = True
    postal_interval_days: int = 14
    # The grades a pupil of the programme may be in (None: any): «Цифрлық ұстаз» is for grades 8–11.
    min_grade: int | None = 8
    max_grade: int | None = 11


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    locality: str = Field(default="", max_length=200)
    day_start: time = time(8, 0)
    day_end: time = time(14, 0)
    postal_point: str = Field(default="", max_length=300)
    # Where the school is, for the coordinators above schools (`models.district`).
    region: str = Field(default="", max_length=200, index=True)
    district: str = Field(default="", max_length=200, index=True)


class SchoolClass(SQLModel, table=True):
    __tablename__ = "class_"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(max_length=20)
    grade: int
    # Telegram supergroup ids (-100…) need 64 bits.
    telegram_chat_id: int | None = Field(default=None, index=True, sa_type=BigInteger)


class TutoringGroup(SQLModel, table=True):
    """A group may span schools (virtual classes), so its school is only the one that owns it."""

    __tablename__ = "group_"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    subject: str = Field(max_length=40)
    tutor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    assistant_id: int | None = Field(default=None, foreign_key="person.id", index=True)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="group_.id", index=True)
    pupil_id: int = Field(foreign_key="person.id", index=True)
