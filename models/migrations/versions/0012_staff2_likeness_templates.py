"""a stored page's perceptual hash, to find a copy of another pupil's page; class teachers' saved
announcements

Revision ID: 0012_staff2
Revises: 0011_overview
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_staff2"
down_revision: str | None = "0011_overview"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pages stored before keep none: they are not compared (their files are not read back here).
    with op.batch_alter_table("submission_page", schema=None) as batch_op:
        batch_op.add_column(sa.Column("likeness", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table(
        "broadcast_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("author_id", "name"),
    )
    with op.batch_alter_table("broadcast_template", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_template_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcast_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_template_author_id"))
    op.drop_table("broadcast_template")
    with op.batch_alter_table("submission_page", schema=None) as batch_op:
        batch_op.drop_column("likeness")
