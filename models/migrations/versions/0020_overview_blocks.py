"""the overview's attendance tallies by day and by blocks of four weeks, and per school and week

Migration 0019_tally counted the marks per week. A year of a school reads a row per group and week
from it, and the days around a period's whole weeks (and the month so far) were counted from the
marks. Now the marks' triggers keep a tally per day (`attendance_day_tally`) the same way 0019's kept
the weeks: a changed row takes its old share out and puts its new share in. Every change to a day's
row is passed on, by triggers on that table, to the week's row (`attendance_tally`, as before), to
its block of four weeks (`attendance_block_tally`) and to the school's totals of the week
(`attendance_week_total`, the trend's series). A block is a pure function of the date, as the week
is: the 28 days from a Monday 4k weeks after Monday 1970-01-05.

Revision ID: 0020_overview
Revises: 0019_tally
Create Date: 2026-12-04 14:10:00
"""

import importlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0020_overview"
down_revision: str | None = "0019_tally"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("present", "late", "absent", "excused")
KEYED = "school_id, {unit}, group_id, reason"
# The first day of a day's week and of its block of four weeks, as monitoring.tally says them.
MONDAY = {
    "sqlite": "date({day}, 'weekday 0', '-6 days')",
    "postgresql": "({day} - (extract(isodow from {day})::int - 1))",
}
BLOCK = {
    "sqlite": "date({day}, '-' || (CAST(julianday({day}) - julianday('1970-01-05') AS INTEGER) % 28) "
    "|| ' days')",
    "postgresql": "({day} - (({day} - DATE '1970-01-05') % 28))",
}
# 0019's triggers on the facts, which wrote the weeks' tally; now they write the days'.
FACTS = {
    "attendance": ("lesson_id", "on_date", "pupil_id", "status", "reason", "excused"),
    "membership": ("person_id", "role", "school_id"),
    "lesson": ("group_id",),
}


def _counted(row: str) -> list[str]:
    """The four counts of one mark `row` (present, late, absent; excused), as SQL."""
    return [
        *(f"CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END" for status in COUNTS[:3]),
        f"CASE WHEN {row}.excused THEN 1 ELSE 0 END",
    ]


def _upsert(table: str, key: str, select: str) -> str:
    added = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTS)
    return (
        f"INSERT INTO {table} ({key}, {', '.join(COUNTS)}) {select} ON CONFLICT ({key}) DO UPDATE SET {added}"
    )


DAY_KEY = KEYED.format(unit="day")


def _summed(sign: str) -> str:
    return ", ".join(f"{sign} * sum(counted.{name})" for name in COUNTS)


def _of_mark(row: str, sign: str) -> str:
    """A mark's share: once per pupil membership of its pupil, under its lesson's group."""
    counts = ", ".join(f"{sign} * count(*) * {part}" for part in _counted(row))
    return _upsert(
        "attendance_day_tally",
        DAY_KEY,
        f"SELECT m.school_id, {row}.on_date, l.group_id, coalesce({row}.reason, ''), {counts} "
        f"FROM lesson l JOIN membership m ON m.person_id = {row}.pupil_id AND m.role = 'pupil' "
        f"WHERE l.id = {row}.lesson_id GROUP BY m.school_id, l.group_id",
    )


MARKS = (
    "(SELECT a.pupil_id, a.lesson_id, a.on_date AS day, l.group_id, coalesce(a.reason, '') AS reason, "
    + ", ".join(f"{part} AS {name}" for part, name in zip(_counted("a"), COUNTS, strict=True))
    + " FROM attendance a JOIN lesson l ON l.id = a.lesson_id) counted"
)


def _of_membership(row: str, sign: str) -> str:
    """A pupil membership's share: every mark of the pupil, under the membership's school."""
    return _upsert(
        "attendance_day_tally",
        DAY_KEY,
        f"SELECT {row}.school_id, counted.day, counted.group_id, counted.reason, {_summed(sign)} "
        f"FROM {MARKS} WHERE counted.pupil_id = {row}.person_id AND {row}.role = 'pupil' "
        "GROUP BY counted.day, counted.group_id, counted.reason",
    )


def _of_lesson(row: str, sign: str) -> str:
    """A lesson's share: its marks, per pupil membership, under the lesson's group."""
    return _upsert(
        "attendance_day_tally",
        DAY_KEY,
        f"SELECT m.school_id, counted.day, {row}.group_id, counted.reason, {_summed(sign)} "
        f"FROM {MARKS} JOIN membership m ON m.person_id = counted.pupil_id AND m.role = 'pupil' "
        f"WHERE counted.lesson_id = {row}.id GROUP BY m.school_id, counted.day, counted.reason",
    )


SHARES = {"attendance": _of_mark, "membership": _of_membership, "lesson": _of_lesson}


def _passed_on(row: str, sign: str, dialect: str) -> str:
    """A day's row passed on to its week, its block and its school's week."""
    day = f"{row}.day"
    counts = ", ".join(f"{sign} * {row}.{name}" for name in COUNTS)
    statements = [
        _upsert(
            table,
            KEYED.format(unit=unit),
            # WHERE: SQLite would read ON CONFLICT after a SELECT with none as a join's
            f"SELECT {row}.school_id, {first[dialect].format(day=day)}, {row}.group_id, {row}.reason, "
            f"{counts} WHERE true",
        )
        for table, unit, first in (
            ("attendance_tally", "week", MONDAY),
            ("attendance_block_tally", "block", BLOCK),
        )
    ]
    statements.append(
        _upsert(
            "attendance_week_total",
            "school_id, week",
            f"SELECT {row}.school_id, {MONDAY[dialect].format(day=day)}, {counts} WHERE true",
        )
    )
    return "; ".join(statements) + ";"


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


# Knowledge growth (`assessment.growth`): each pupil's entry and final diagnostic per group, counted
# again from what is stored whenever a grade, a work or a diagnostic that decides them changes.
PERCENT = (
    "CASE WHEN f.points IS NOT NULL AND f.max_points > 0 THEN 100.0 * CAST(f.points AS FLOAT) / f.max_points "
    "WHEN f.formative_score IS NOT NULL THEN CAST(f.formative_score AS FLOAT) * 10.0 END"
)


def _recount_growth(pairs: str) -> list[str]:
    """The statements that count again the entry and final diagnostic of the (pupil, group) pairs
    `pairs` selects, as `assessment.growth.diagnostic_scores` defines them (read as known now).
    The pairs lead the join (SQLite's CROSS JOIN keeps them the outer loop): a pupil's few works."""
    rank = "PARTITION BY s.pupil_id, h.group_id, h.label ORDER BY h.due_at{desc}, f.id{desc}"
    return [
        "DELETE FROM growth_tally WHERE (pupil_id, group_id) IN "
        f"(SELECT pupil_id, group_id FROM ({pairs}) p)",
        "INSERT INTO growth_tally (pupil_id, group_id, entry, final) "
        "SELECT pupil_id, group_id, max(CASE WHEN label = 'entry' AND earliest = 1 THEN score END), "
        "max(CASE WHEN label = 'final' AND latest = 1 THEN score END) FROM ("
        f"SELECT s.pupil_id, h.group_id, h.label, {PERCENT} AS score, "
        f"row_number() OVER ({rank.format(desc='')}) AS earliest, "
        f"row_number() OVER ({rank.format(desc=' DESC')}) AS latest "
        f"FROM (SELECT DISTINCT pupil_id, group_id FROM ({pairs}) q) p CROSS JOIN submission s "
        "JOIN homework h ON h.id = s.homework_id JOIN group_ t ON t.id = h.group_id "
        "JOIN feedback f ON f.submission_id = s.id "
        "WHERE s.pupil_id = p.pupil_id AND h.group_id = p.group_id AND s.status = 'graded' "
        "AND h.kind = 'diagnostic' AND h.label IN ('entry', 'final') "
        f"AND ({PERCENT}) IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM feedback n WHERE n.submission_id = f.submission_id AND n.id > f.id)"
        ") ranked GROUP BY pupil_id, group_id",
    ]


# Per table: the columns whose change moves a pupil's diagnostics, and the (pupil, group) pairs.
GROWTH_WATCHED = {
    "feedback": (
        ("submission_id", "points", "max_points", "formative_score"),
        lambda row: (
            "SELECT s.pupil_id, h.group_id FROM submission s JOIN homework h ON h.id = s.homework_id "
            f"WHERE s.id = {row}.submission_id AND h.kind = 'diagnostic'"
        ),
    ),
    "submission": (
        ("homework_id", "pupil_id", "status"),
        lambda row: (
            f"SELECT {row}.pupil_id AS pupil_id, h.group_id FROM homework h "
            f"WHERE h.id = {row}.homework_id AND h.kind = 'diagnostic'"
        ),
    ),
    "homework": (
        ("group_id", "kind", "label", "due_at"),
        lambda row: (
            f"SELECT pupil_id, {row}.group_id AS group_id FROM submission "
            f"WHERE homework_id = {row}.id AND {row}.kind = 'diagnostic'"
        ),
    ),
}


def _kept(dialect: str) -> list[tuple[str, str, Sequence[str], str, str]]:
    """Every set of triggers this migration makes: name, table, watched columns, and the statements
    that take a row's share out (`OLD`) and put it in (`NEW`)."""
    found = [
        (
            f"{table}_day_tally",
            table,
            columns,
            SHARES[table]("OLD", "-1") + ";",
            SHARES[table]("NEW", "1") + ";",
        )
        for table, columns in FACTS.items()
    ]
    found.append(
        (
            "attendance_day_passed",
            "attendance_day_tally",
            COUNTS,
            _passed_on("OLD", "-1", dialect),
            _passed_on("NEW", "1", dialect),
        )
    )
    for table, (columns, pairs) in GROWTH_WATCHED.items():
        old, new = ("; ".join(_recount_growth(pairs(row))) + ";" for row in ("OLD", "NEW"))
        found.append((f"{table}_growth_tally", table, columns, old, new))
    return found + _works(_recount_works)


def _before() -> Any:
    """Migration 0019_tally, whose triggers this one replaces and whose tables it keeps."""
    return importlib.import_module("models.migrations.versions.0019_tally_counts")


def _recount_works(which: str) -> list[str]:
    """0019's recount of the works handed in and the scores of the homework `which` names, then the
    sum and number of its formative scores per school put beside the works handed in (`work_tally`),
    from the few score rows just counted: the overview reads both in one pass over the period's
    homework. The works handed in count the pupils of the homework's group, the scores every graded
    work, as the facts did, so a school may have scores and no work handed in."""
    return [
        *_before()._recount_works(which),
        "INSERT INTO work_tally (homework_id, school_id, on_time, late, score_total, scored) "
        "SELECT homework_id, school_id, 0, 0, sum(score * works), sum(works) FROM score_tally "
        f"WHERE homework_id {which} GROUP BY homework_id, school_id "
        "ON CONFLICT (homework_id, school_id) DO UPDATE "
        "SET score_total = excluded.score_total, scored = excluded.scored",
    ]


def _works(recount: Any) -> list[tuple[str, str, Sequence[str], str, str]]:
    """0019's triggers that count a homework's works again, with `recount` saying how."""
    found = []
    for table, (columns, which) in _before().WORKS_WATCHED.items():
        old, new = ("; ".join(recount(which(row))) + ";" for row in ("OLD", "NEW"))
        found.append((f"{table}_work_tally", table, columns, old, new))
    return found


def _counts() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]


def _tally(table: str, unit: str) -> None:
    op.create_table(
        table,
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column(unit, sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("school_id", unit, "group_id", "reason"),
        sqlite_with_rowid=False,
    )


def _fill(dialect: str) -> list[str]:
    """The new tallies of the marks already stored: the days from the marks, the blocks and the
    schools' weeks from the days."""
    days = (
        f"INSERT INTO attendance_day_tally ({DAY_KEY}, {', '.join(COUNTS)}) "
        f"SELECT m.school_id, counted.day, counted.group_id, counted.reason, {_summed('1')} "
        f"FROM {MARKS} JOIN membership m ON m.person_id = counted.pupil_id AND m.role = 'pupil' "
        "GROUP BY m.school_id, counted.day, counted.group_id, counted.reason"
    )
    sums = ", ".join(f"sum({name})" for name in COUNTS)
    block = BLOCK[dialect].format(day="day")
    monday = MONDAY[dialect].format(day="day")
    return [
        days,
        f"INSERT INTO attendance_block_tally ({KEYED.format(unit='block')}, {', '.join(COUNTS)}) "
        f"SELECT school_id, {block}, group_id, reason, {sums} FROM attendance_day_tally "
        f"GROUP BY school_id, {block}, group_id, reason",
        f"INSERT INTO attendance_week_total (school_id, week, {', '.join(COUNTS)}) "
        f"SELECT school_id, {monday}, {sums} FROM attendance_day_tally GROUP BY school_id, {monday}",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _tally("attendance_day_tally", "day")
    _tally("attendance_block_tally", "block")
    op.create_table(
        "attendance_week_total",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("school_id", "week"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "growth_tally",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Float(), nullable=True),
        sa.Column("final", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("pupil_id", "group_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    every = "SELECT pupil_id, group_id FROM submission JOIN homework ON homework.id = homework_id"
    for statement in _recount_growth(every + " WHERE kind = 'diagnostic'"):
        op.execute(statement)
    for table in FACTS:
        for statement in DROPPED[dialect](f"{table}_tally", table):
            op.execute(statement)
    for name, table, *_rest in _works(_before()._recount_works):
        for statement in DROPPED[dialect](name, table):
            op.execute(statement)
    op.add_column("work_tally", sa.Column("score_total", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("work_tally", sa.Column("scored", sa.Integer(), nullable=False, server_default="0"))
    for statement in _recount_works("IS NOT NULL"):
        op.execute(statement)
    for statement in _fill(dialect):
        op.execute(statement)
    for name, table, columns, old, new in _kept(dialect):
        for statement in TRIGGERS[dialect](name, table, columns, old, new):
            op.execute(statement)


def downgrade() -> None:
    """Back to 0019's triggers on the facts, which write the weeks' tally (kept exact meanwhile)
    and the works' tally without the scores."""
    dialect = op.get_bind().dialect.name
    for name, table, *_rest in _kept(dialect):
        for statement in DROPPED[dialect](name, table):
            op.execute(statement)
    before = _before()
    replaced = {f"{table}_tally" for table in FACTS}
    for name, table, columns, old, new in before._kept(before.MONDAY[dialect]):
        if name in replaced or name.endswith("_work_tally"):
            for statement in TRIGGERS[dialect](name, table, columns, old, new):
                op.execute(statement)
    op.execute("ALTER TABLE work_tally DROP COLUMN scored")
    op.execute("ALTER TABLE work_tally DROP COLUMN score_total")
    op.drop_index("ix_feedback_created_at", table_name="feedback")
    op.drop_table("growth_tally")
    op.drop_table("attendance_week_total")
    op.drop_table("attendance_block_tally")
    op.drop_table("attendance_day_tally")
