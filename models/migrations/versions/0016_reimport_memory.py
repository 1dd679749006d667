"""the roster importer's memory of its last apply, and triggers counting every write to what it
manages (so an unchanged re-import may skip the store only while nothing else changed it)

Revision ID: 0016_reimport
Revises: 0015_programme
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016_reimport"
down_revision: str | None = "0015_programme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table → the columns the importer writes or compares; an insert or a delete counts on all of them.
WATCHED: dict[str, tuple[str, ...]] = {
    "programme": (
        "code",
        "name",
        "min_group_size",
        "max_group_size",
        "subjects",
        "subjects_per_pupil",
        "lessons_per_week",
        "lesson_minutes",
        "outside_school_hours",
        "postal_interval_days",
        "min_grade",
        "max_grade",
        "mixed_grades",
        "low_income_only",
        "consent_names",
        "weights",
    ),
    "school": ("code", "name", "locality", "day_start", "day_end", "school_days", "postal_point"),
    "class_": ("school_id", "name", "grade"),
    "person": (
        "external_id",
        "full_name",
        "locale",
        "locale_chosen",
        "phone",
        "low_income",
        "by_post",
        "postal_address",
    ),
    "membership": ("person_id", "role", "school_id", "class_id"),
    "guardianship": ("guardian_id", "pupil_id"),
    "channel_identity": ("person_id", "channel", "address", "priority"),
    "group_": ("code", "programme_id", "school_id", "subject", "tutor_id", "assistant_id"),
    "group_member": ("group_id", "pupil_id"),
    "lesson": ("group_id", "weekday", "start_time", "minutes", "link", "active"),
    "calendar_entry": ("school_id", "kind", "starts", "ends", "name", "grades"),
}
# A Telegram chat's identity is bound when its person joins, never by the importer: a new chat's
# row does not count (the bot makes one per new chat, and a counted write waits on the counter's row).
MANAGED_CHANNELS = "('whatsapp', 'sms', 'post')"
BUMP = "UPDATE roster_store_version SET n = n + 1"


def _sqlite_triggers() -> list[str]:
    """Row triggers (SQLite has no statement triggers): a bump costs a one-row update."""
    statements = []
    for table, columns in WATCHED.items():
        insert_when = f" WHEN NEW.channel IN {MANAGED_CHANNELS}" if table == "channel_identity" else ""
        delete_when = f" WHEN OLD.channel IN {MANAGED_CHANNELS}" if table == "channel_identity" else ""
        statements += [
            f"CREATE TRIGGER roster_count_{table}_insert AFTER INSERT ON {table}{insert_when} "
            f"BEGIN {BUMP}; END",
            f"CREATE TRIGGER roster_count_{table}_delete AFTER DELETE ON {table}{delete_when} "
            f"BEGIN {BUMP}; END",
            f"CREATE TRIGGER roster_count_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"BEGIN {BUMP}; END",
        ]
    return statements


# The importer's own transaction, once it holds the counter (roster.memory.hold), counts nothing more:
# it remembers the counter after its writes, and psycopg sends a batch of rows as a statement each.
NOT_HELD = "WHEN (current_setting('ustaz.roster_held', true) IS DISTINCT FROM 'on')"


def _postgresql_triggers() -> list[str]:
    """Statement triggers: one bump per statement, however many rows a bulk write holds."""
    statements = [
        "CREATE FUNCTION roster_count() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP}; RETURN NULL; END $$",
        "CREATE FUNCTION roster_count_identities() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF EXISTS (SELECT 1 FROM changed WHERE channel IN {MANAGED_CHANNELS}) THEN {BUMP}; END IF; "
        "RETURN NULL; END $$",
    ]
    for table, columns in WATCHED.items():
        update = (
            f"CREATE TRIGGER roster_count_{table}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH STATEMENT {NOT_HELD} EXECUTE FUNCTION roster_count()"
        )
        if table == "channel_identity":
            statements += [
                f"CREATE TRIGGER roster_count_{table}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE "
                f"AS changed FOR EACH STATEMENT {NOT_HELD} EXECUTE FUNCTION roster_count_identities()",
                f"CREATE TRIGGER roster_count_{table}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE "
                f"AS changed FOR EACH STATEMENT {NOT_HELD} EXECUTE FUNCTION roster_count_identities()",
                update,
            ]
        else:
            statements += [
                f"CREATE TRIGGER roster_count_{table}_write AFTER INSERT OR DELETE ON {table} "
                f"FOR EACH STATEMENT {NOT_HELD} EXECUTE FUNCTION roster_count()",
                update,
            ]
    return statements


def upgrade() -> None:
    op.create_table(
        "roster_memory",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("revision", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("school_ids", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "roster_store_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO roster_store_version (id, n) VALUES (1, 0)")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        for kind in ("insert", "delete", "update", "write"):
            on = f" ON {table}" if postgresql else ""
            op.execute(f"DROP TRIGGER IF EXISTS roster_count_{table}_{kind}{on}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS roster_count_identities()")
        op.execute("DROP FUNCTION IF EXISTS roster_count()")
    op.drop_table("roster_store_version")
    op.drop_table("roster_memory")
