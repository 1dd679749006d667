"""tallies for the overview: attendance marks counted per (the pupil's school, week, group, reason),
works handed in and formative scores per (homework, the pupil's school), by triggers, filled from the
facts already stored

The marks' tally is kept by difference:
every change to a row the overview's attendance count joins (a mark; a pupil's membership as a pupil,
which names their school; a lesson's group) takes that row's share out of the tally and puts the new
share in, in the same statement's transaction. The share is worked out against the other tables as
they stand, so the tally stays the sum of the join whatever order rows come and go in. An update that
leaves the counted columns alone fires nothing. A homework's works and scores are counted again
whole whenever one of its works, their grades, its group or a pupil's group or school changes.
The homework's index by when they fall due carries their group, so a period's homework per group
are counted from the index alone.

Revision ID: 0019_tally
Revises: 0018_reimport
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_tally"
down_revision: str | None = "0018_reimport"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "school_id, week, group_id, reason"
COUNTS = ("present", "late", "absent", "excused")
# The Monday of a day, as monitoring.sql.monday_of says it (a pure function of the date).
MONDAY = {
    "sqlite": "date({day}, 'weekday 0', '-6 days')",
    "postgresql": "({day} - (extract(isodow from {day})::int - 1))",
}


def _counted(row: str) -> str:
    """The four counts of one mark `row` (present, late, absent; excused), as SQL."""
    return ", ".join(
        [
            *(f"CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END" for status in COUNTS[:3]),
            f"CASE WHEN {row}.excused THEN 1 ELSE 0 END",
        ]
    )


def _upsert(select: str) -> str:
    added = ", ".join(f"{name} = attendance_tally.{name} + excluded.{name}" for name in COUNTS)
    return (
        f"INSERT INTO attendance_tally ({KEY}, {', '.join(COUNTS)}) {select} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET {added}"
    )


def _summed(sign: str) -> str:
    return ", ".join(f"{sign} * sum(counted.{name})" for name in COUNTS)


def _of_mark(row: str, sign: str, monday: str) -> str:
    """A mark's share: once per pupil membership of its pupil, under its lesson's group."""
    week = monday.format(day=f"{row}.on_date")
    counts = ", ".join(f"{sign} * count(*) * {part}" for part in _counted(row).split(", "))
    return _upsert(
        f"SELECT m.school_id, {week}, l.group_id, coalesce({row}.reason, ''), {counts} "
        f"FROM lesson l JOIN membership m ON m.person_id = {row}.pupil_id AND m.role = 'pupil' "
        f"WHERE l.id = {row}.lesson_id GROUP BY m.school_id, l.group_id"
    )


def _marks(monday: str) -> str:
    """Every mark with its counts, the Monday of its day and its lesson's group, as `counted`."""
    week = monday.format(day="a.on_date")
    return (
        f"(SELECT a.pupil_id, a.lesson_id, {week} AS week, l.group_id, coalesce(a.reason, '') AS reason, "
        + ", ".join(f"{part} AS {name}" for part, name in zip(_counted("a").split(", "), COUNTS, strict=True))
        + " FROM attendance a JOIN lesson l ON l.id = a.lesson_id) counted"
    )


def _of_membership(row: str, sign: str, monday: str) -> str:
    """A pupil membership's share: every mark of the pupil, under the membership's school."""
    return _upsert(
        f"SELECT {row}.school_id, counted.week, counted.group_id, counted.reason, {_summed(sign)} "
        f"FROM {_marks(monday)} WHERE counted.pupil_id = {row}.person_id AND {row}.role = 'pupil' "
        "GROUP BY counted.week, counted.group_id, counted.reason"
    )


def _of_lesson(row: str, sign: str, monday: str) -> str:
    """A lesson's share: its marks, per pupil membership, under the lesson's group."""
    return _upsert(
        f"SELECT m.school_id, counted.week, {row}.group_id, counted.reason, {_summed(sign)} "
        f"FROM {_marks(monday)} JOIN membership m ON m.person_id = counted.pupil_id AND m.role = 'pupil' "
        f"WHERE counted.lesson_id = {row}.id GROUP BY m.school_id, counted.week, counted.reason"
    )


# Per table: the columns whose change moves a share, and how to write a row's share.
WATCHED = {
    "attendance": (("lesson_id", "on_date", "pupil_id", "status", "reason", "excused"), _of_mark),
    "membership": (("person_id", "role", "school_id"), _of_membership),
    "lesson": (("group_id",), _of_lesson),
}


COUNTED = "('submitted', 'graded', 'returned')"  # a work handed in, as monitoring.figures.COUNTED


def _recount_works(which: str) -> list[str]:
    """The statements that count again the works handed in and the scores of the homework `which`
    names (a condition on a homework id: `= NEW.homework_id`, `IN (SELECT …)`). A homework's works
    are a few dozen rows, and counting them whole from what is stored now is right however many rows
    a statement changed and in whatever order PostgreSQL runs its row triggers at its end."""
    return [
        f"DELETE FROM work_tally WHERE homework_id {which}",
        f"DELETE FROM score_tally WHERE homework_id {which}",
        "INSERT INTO work_tally (homework_id, school_id, on_time, late) "
        "SELECT homework_id, school_id, sum(1 - late), sum(late) FROM ("
        "SELECT s.homework_id, m.school_id, s.pupil_id, min(CASE WHEN s.late THEN 1 ELSE 0 END) AS late "
        "FROM submission s JOIN homework h ON h.id = s.homework_id "
        "JOIN group_member g ON g.group_id = h.group_id AND g.pupil_id = s.pupil_id "
        "JOIN membership m ON m.person_id = s.pupil_id AND m.role = 'pupil' "
        f"WHERE s.homework_id {which} AND s.status IN {COUNTED} "
        "GROUP BY s.homework_id, m.school_id, s.pupil_id) handed GROUP BY homework_id, school_id",
        "INSERT INTO score_tally (homework_id, school_id, score, works) "
        "SELECT s.homework_id, m.school_id, f.formative_score, count(*) FROM submission s "
        "JOIN feedback f ON f.submission_id = s.id "
        "JOIN membership m ON m.person_id = s.pupil_id AND m.role = 'pupil' "
        f"WHERE s.homework_id {which} AND s.status = 'graded' AND f.formative_score IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM feedback n WHERE n.submission_id = f.submission_id AND n.id > f.id) "
        "GROUP BY s.homework_id, m.school_id, f.formative_score",
    ]


def _submitted_by(row: str) -> str:
    return f"IN (SELECT homework_id FROM submission WHERE pupil_id = {row}.person_id)"


def _set_in_group(row: str) -> str:
    return (
        "IN (SELECT s.homework_id FROM submission s JOIN homework h ON h.id = s.homework_id "
        f"WHERE s.pupil_id = {row}.pupil_id AND h.group_id = {row}.group_id)"
    )


# Per table: the columns whose change moves a work's count, and the homework to count again.
WORKS_WATCHED = {
    "submission": (("homework_id", "pupil_id", "status", "late"), lambda row: f"= {row}.homework_id"),
    "feedback": (
        ("submission_id", "formative_score"),
        lambda row: f"IN (SELECT homework_id FROM submission WHERE id = {row}.submission_id)",
    ),
    "homework": (("group_id",), lambda row: f"= {row}.id"),
    "group_member": (("group_id", "pupil_id"), _set_in_group),
    "membership": (("person_id", "role", "school_id"), _submitted_by),
}


def _statements(*parts: list[str]) -> str:
    return "; ".join(statement for part in parts for statement in part) + ";"


def _sqlite(name: str, table: str, columns: Sequence[str], old: str, new: str) -> list[str]:
    """SQLite's triggers `name` on `table`: `old` takes a row's share out, `new` puts it in."""
    return [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {new} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {old} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} BEGIN {old} {new} END",
    ]


def _postgresql(name: str, table: str, columns: Sequence[str], old: str, new: str) -> list[str]:
    """PostgreSQL's function and triggers `name` on `table`, as `_sqlite`'s."""
    return [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {old} END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {new} END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER {name}_change AFTER INSERT OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


TRIGGERS = {"sqlite": _sqlite, "postgresql": _postgresql}
DROPPED = {
    "sqlite": lambda name, table: [
        f"DROP TRIGGER {name}_{event}" for event in ("insert", "delete", "update")
    ],
    "postgresql": lambda name, table: [
        f"DROP TRIGGER {name}_change ON {table}",
        f"DROP TRIGGER {name}_update ON {table}",
        f"DROP FUNCTION {name}()",
    ],
}


def _kept(monday: str) -> list[tuple[str, str, Sequence[str], str, str]]:
    """Every set of triggers: its name, table and watched columns, and the statements that take a
    row's share out (`OLD`) and put it in (`NEW`), with the Mondays said as `monday` says them."""
    found = [
        (f"{table}_tally", table, columns, share("OLD", "-1", monday) + ";", share("NEW", "1", monday) + ";")
        for table, (columns, share) in WATCHED.items()
    ]
    for table, (columns, which) in WORKS_WATCHED.items():
        old, new = (_statements(_recount_works(which(row))) for row in ("OLD", "NEW"))
        found.append((f"{table}_work_tally", table, columns, old, new))
    return found


def _triggers(dialect: str) -> list[str]:
    found = []
    for name, table, columns, old, new in _kept(MONDAY[dialect]):
        found += TRIGGERS[dialect](name, table, columns, old, new)
    return found


def _fill(monday: str) -> str:
    """The tallies of the marks already stored."""
    return (
        f"INSERT INTO attendance_tally ({KEY}, {', '.join(COUNTS)}) "
        f"SELECT m.school_id, counted.week, counted.group_id, counted.reason, {_summed('1')} "
        f"FROM {_marks(monday)} JOIN membership m ON m.person_id = counted.pupil_id AND m.role = 'pupil' "
        "GROUP BY m.school_id, counted.week, counted.group_id, counted.reason"
    )


def upgrade() -> None:
    op.create_table(
        "attendance_tally",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("absent", sa.Integer(), nullable=False),
        sa.Column("excused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("school_id", "week", "group_id", "reason"),
        sqlite_with_rowid=False,
    )
    for table, key in (("work_tally", ["school_id"]), ("score_tally", ["school_id", "score"])):
        op.create_table(
            table,
            sa.Column("homework_id", sa.Integer(), nullable=False),
            sa.Column("school_id", sa.Integer(), nullable=False),
            *([sa.Column("score", sa.Integer(), nullable=False)] if "score" in key else []),
            *(
                [sa.Column("works", sa.Integer(), nullable=False)]
                if "score" in key
                else [
                    sa.Column("on_time", sa.Integer(), nullable=False),
                    sa.Column("late", sa.Integer(), nullable=False),
                ]
            ),
            sa.PrimaryKeyConstraint("homework_id", *key),
            sqlite_with_rowid=False,
        )
    op.drop_index("ix_homework_due_at", table_name="homework")
    op.create_index("ix_homework_due_group", "homework", ["due_at", "group_id"])
    name = op.get_bind().dialect.name
    op.execute(_fill(MONDAY[name]))
    for statement in _recount_works("IS NOT NULL"):
        op.execute(statement)
    for statement in _triggers(name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, *_shares in _kept(MONDAY[dialect]):
        for statement in DROPPED[dialect](name, table):
            op.execute(statement)
    op.drop_table("score_tally")
    op.drop_table("work_tally")
    op.drop_table("attendance_tally")
    op.drop_index("ix_homework_due_group", table_name="homework")
    op.create_index("ix_homework_due_at", "homework", ["due_at"])
