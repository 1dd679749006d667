"""Counts the dashboard's overview reads instead of the facts they count (docs/dashboard.md, "Speed").

A year of a school of 4,000 is about 200,000 attendance marks; the overview adds them up per school
and group, and per week for its trend. The marks are counted per (the pupil's school, the day, the
lesson's group, the reason a family gave) in `AttendanceDayTally`, and from it per week
(`AttendanceTally`), per block of four weeks (`AttendanceBlockTally`) and per school and week
(`AttendanceWeekTotal`), so a period is read as a dozen ranges of a few thousand rows
(`monitoring.tally`). The works handed in and their scores are counted per homework and the pupil's
school (`WorkTally`, `ScoreTally`): a period picks its homework by when they fall due, as before, and
reads a row per homework instead of one per pupil's work. Each pupil's entry and final diagnostic
per group is kept in `GrowthTally` for knowledge growth.

The tallies are written by the database itself, by triggers in the same transaction as the rows they
count (migration 0019_tally): whatever writes a mark, a work or a grade — the bot, the importer's
bulk inserts, a raw statement, PostgreSQL's COPY — keeps them exact, and so does a pupil moving to
another school or group, or a lesson or homework moving to another group (migrations 0019_tally and
0020_overview). No Python code writes them.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class AttendanceTally(SQLModel, table=True):
    """Attendance marks of one week, counted as `monitoring.figures.attendance_rows` counts them:
    per pupil membership as a pupil (a pupil with none counts nowhere, one with two in both)."""

    __tablename__ = "attendance_tally"
    # SQLite keeps the rows in the key's order: a period's weeks of a school are one stretch of the
    # table, read without a second lookup per row from an index into the table (0.8 of the time).
    __table_args__ = {"sqlite_with_rowid": False}

    school_id: int = Field(primary_key=True)  # the pupil's school, not the lesson's
    week: date = Field(primary_key=True)  # the Monday of the mark's day
    group_id: int = Field(primary_key=True)
    reason: str = Field(default="", primary_key=True, max_length=20)  # '' for none
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0


class WorkTally(SQLModel, table=True):
    """The works handed in for one homework, counted as `monitoring.figures.handed` counts them: one
    per pupil of its group and school who handed it in, on time when any of their counted works was."""

    __tablename__ = "work_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    homework_id: int = Field(primary_key=True)
    school_id: int = Field(primary_key=True)  # the pupil's school
    on_time: int = 0
    late: int = 0
    # The formative scores of its graded works (each work's latest grade), as `ScoreTally` spreads
    # them: their sum and number (migration 0020_overview), read in the same pass as the works.
    score_total: int = 0
    scored: int = 0


class ScoreTally(SQLModel, table=True):
    """The formative scores of one homework's graded works (each work's latest grade), per score, as
    `monitoring.figures.score_rows` counts them."""

    __tablename__ = "score_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    homework_id: int = Field(primary_key=True)
    school_id: int = Field(primary_key=True)  # the pupil's school
    score: int = Field(primary_key=True)
    works: int = 0


class AttendanceDayTally(SQLModel, table=True):
    """Attendance marks of one day, counted as `AttendanceTally` counts a week's: what the triggers
    on the marks write (migration 0020_overview). Each change to a row here is passed on to its
    week (`AttendanceTally`), its block (`AttendanceBlockTally`) and its school's week
    (`AttendanceWeekTotal`) by triggers on this table. The overview reads it for the days around a
    period's whole weeks: a few hundred rows a day instead of the day's marks."""

    __tablename__ = "attendance_day_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    school_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    group_id: int = Field(primary_key=True)
    reason: str = Field(default="", primary_key=True, max_length=20)
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0


class AttendanceBlockTally(SQLModel, table=True):
    """Attendance marks of a block of four weeks (28 days from `block`, a Monday a multiple of four
    weeks after Monday 1970-01-05: a pure function of the date, as the week is). A group has a
    row or a few per reason in a block, as it has in a week: a year reads a quarter of the rows."""

    __tablename__ = "attendance_block_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    school_id: int = Field(primary_key=True)
    block: date = Field(primary_key=True)
    group_id: int = Field(primary_key=True)
    reason: str = Field(default="", primary_key=True, max_length=20)
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0


class AttendanceWeekTotal(SQLModel, table=True):
    """Attendance marks of one week of a school, every group and reason together: the overview's
    weekly trend, a row per week instead of one per group and week."""

    __tablename__ = "attendance_week_total"
    __table_args__ = {"sqlite_with_rowid": False}

    school_id: int = Field(primary_key=True)
    week: date = Field(primary_key=True)
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0


class GrowthTally(SQLModel, table=True):
    """A pupil's entry and final diagnostic in a group, in per cent, as `assessment.growth` defines
    them and as known now (every grade so far): what the overview's knowledge growth sums, a row per
    pupil and group instead of ranking every diagnostic's latest grade. Counted again by triggers
    (migration 0020_overview) whenever a grade, a work or a diagnostic that decides them changes."""

    __tablename__ = "growth_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    pupil_id: int = Field(primary_key=True)
    group_id: int = Field(primary_key=True)
    entry: float | None = None
    final: float | None = None
