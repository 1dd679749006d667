"""the roster importer's memory also holds the digest of the file's bytes, of its own code, and the
findings the file's checks reported: the same bytes, with the store, the schema and the code as the
last apply left them, are neither parsed nor checked again

Revision ID: 0018_reimport
Revises: 0017_pages
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_reimport"
down_revision: str | None = "0017_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A memory made before holds no code digest: it matches none, and the next import compares in full.
    op.add_column(
        "roster_memory",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "roster_memory",
        sa.Column("file", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""),
    )
    op.add_column("roster_memory", sa.Column("notes", sa.JSON(), nullable=False, server_default="[]"))
    op.create_index("ix_roster_memory_file", "roster_memory", ["file"])


def downgrade() -> None:
    op.drop_index("ix_roster_memory_file", table_name="roster_memory")
    for column in ("notes", "file", "code"):
        op.drop_column("roster_memory", column)
