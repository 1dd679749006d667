"""dashboard sign-in state (code challenges, sessions) in the store, shared by every bot process

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:01:09
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("dashboard_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_challenge_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "dashboard_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_hash"),
    )
    with op.batch_alter_table("dashboard_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboard_session_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_session_person_id"))
        batch_op.drop_index(batch_op.f("ix_dashboard_session_expires_at"))
    op.drop_table("dashboard_session")

    with op.batch_alter_table("dashboard_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_challenge_expires_at"))
    op.drop_table("dashboard_challenge")
