"""a stored page's perceptual hash, to find a copy of another pupil's page

Revision ID: 0010_staff2
Revises: 0009_record
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_staff2"
down_revision: str | None = "0009_record"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pages stored before keep none: they are not compared (their files are not read back here).
    with op.batch_alter_table("submission_page", schema=None) as batch_op:
        batch_op.add_column(sa.Column("likeness", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submission_page", schema=None) as batch_op:
        batch_op.drop_column("likeness")
