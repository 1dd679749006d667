"""a parent's choice between messages as things happen and the weekly digest

Revision ID: 0009_record
Revises: 0008_threads
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_record"
down_revision: str | None = "0008_threads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "family_news",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="both",
            )
        )
    # The rows written from now on carry the model's own default; the column keeps none.
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("family_news", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("family_news")
