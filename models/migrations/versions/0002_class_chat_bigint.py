"""class_.telegram_chat_id holds supergroup ids (-100…, beyond 32 bits)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite's INTEGER already stores 64 bits; rebuilding class_ there would fight its foreign keys.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("class_", "telegram_chat_id", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("class_", "telegram_chat_id", type_=sa.Integer(), existing_type=sa.BigInteger())
