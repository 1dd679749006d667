"""the outbox's claim order (status, due_at, id) as one index, so a claim reads only the rows it takes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_notification_due", table_name="notification")
    op.create_index("ix_notification_due", "notification", ["status", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_notification_due", table_name="notification")
    op.create_index("ix_notification_due", "notification", ["status", "due_at"])
