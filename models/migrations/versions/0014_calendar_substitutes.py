"""the school calendar's own entries per school, substitutes for a group and a date range, and the
batch and reason of lessons cancelled together

Revision ID: 0014_calendar
Revises: 0013_collate
Create Date: 2026-12-03 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_calendar"
down_revision: str | None = "0013_collate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "kind", "starts"),
    )
    with op.batch_alter_table("calendar_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_entry_school_id"), ["school_id"], unique=False)

    op.create_table(
        "substitution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["assigned_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["group_.id"]),
        sa.ForeignKeyConstraint(["substitute_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_substitution_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_substitution_substitute_id"), ["substitute_id"], unique=False)

    with op.batch_alter_table("lesson_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
            )
        )
        batch_op.create_index(batch_op.f("ix_lesson_change_batch"), ["batch"], unique=False)
    with op.batch_alter_table("lesson_change", schema=None) as batch_op:
        batch_op.alter_column("reason", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("lesson_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_change_batch"))
        batch_op.drop_column("reason")
        batch_op.drop_column("batch")
    with op.batch_alter_table("substitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_substitution_substitute_id"))
        batch_op.drop_index(batch_op.f("ix_substitution_group_id"))
    op.drop_table("substitution")
    with op.batch_alter_table("calendar_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_entry_school_id"))
    op.drop_table("calendar_entry")
