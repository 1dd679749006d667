"""Programmes (their rules as data), schools, classes and tutoring groups."""

from __future__ import annotations

from datetime import time

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

DIGITAL_TUTOR = "digital-tutor"  # the default programme's code
DIGITAL_TUTOR_SUBJECTS = ["algebra", "geometry", "chemistry", "physics", "biology", "history_kz"]
# How the consent request names the programme, per language (a programme defined in a roster brings its own).
DIGITAL_TUTOR_NAMES = {"kk": "Цифрлық ұстаз", "ru": "Цифровой наставник", "en": "Digital Tutor"}
# The quarter mark's parts, in per cent: formative work (1–10), summative work for a section (БЖБ /
# СОр) and for the term (ТЖБ / СОч). The national criteria-based assessment rules' split (the Typical
# rules of ongoing monitoring, Order No. 125 of the Minister of Education and Science of 18 March 2008,
# as amended); a school that weighs otherwise sets its own on the programme.
QUARTER_WEIGHTS = {"formative": 25, "section": 25, "term": 50}
# Monday is 0. A school working six days a week lists Saturday too (the roster's `school_days`).
SCHOOL_DAYS = [0, 1, 2, 3, 4]


class Programme(SQLModel, table=True):
    """A programme's rules. The defaults are the Digital Tutor («Цифрлық ұстаз») programme's."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    min_group_size: int = 3
    max_group_size: int = 5
    subjects: list[str] = Field(default_factory=lambda: list(DIGITAL_TUTOR_SUBJECTS), sa_type=JSON)
    subjects_per_pupil: int = 2
    lessons_per_week: int = 2  # per group, each at least `lesson_minutes` long
    lesson_minutes: int = 60
    outside_school_hours: bool = True  # on the pupils' school days; any time on their days off
    postal_interval_days: int = 14
    # The grades a pupil of the programme may be in (None: any): «Цифрлық ұстаз» is for grades 8–11.
    min_grade: int | None = 8
    max_grade: int | None = 11
    # A group is drawn from one grade's classes (8А with 8Б, not with 9Б) unless this allows mixing.
    mixed_grades: bool = False
    # For pupils of low-income families (ТТО): the importer warns of pupils not marked so.
    low_income_only: bool = True
    consent_names: dict[str, str] = Field(default_factory=lambda: dict(DIGITAL_TUTOR_NAMES), sa_type=JSON)
    weights: dict[str, int] = Field(default_factory=lambda: dict(QUARTER_WEIGHTS), sa_type=JSON)

    def consent_name(self, locale: str) -> str:
        """The programme's name as the consent request says it in `locale`."""
        return self.consent_names.get(locale) or self.consent_names.get("kk") or self.name


class School(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    locality: str = Field(default="", max_length=200)
    day_start: time = time(8, 0)
    day_end: time = time(14, 0)
    school_days: list[int] = Field(default_factory=lambda: list(SCHOOL_DAYS), sa_type=JSON)
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
