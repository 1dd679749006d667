"""dashboard sign-in limits: code requests and wrong codes counted per person named and per client
(`dashboard_attempt`), and who a code challenge was for (`dashboard_challenge.subject`), so that a
person has one pending code at a time; a programme's grades (`programme.min_grade`, `max_grade`:
8–11 for «Цифрлық ұстаз», any for a programme already stored under another code)

Revision ID: 0006_security
Revises: 0005_outbox_budget
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_security"
down_revision: str | None = "0005_outbox_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dashboard_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_attempt_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboard_attempt_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_dashboard_attempt_subject"), ["subject"], unique=False)

    with op.batch_alter_table("dashboard_challenge", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default=""
            )
        )
        batch_op.create_index(batch_op.f("ix_dashboard_challenge_subject"), ["subject"], unique=False)

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_grade", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_grade", sa.Integer(), nullable=True))
    op.execute("UPDATE programme SET min_grade = 8, max_grade = 11 WHERE code = 'digital-tutor'")


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("max_grade")
        batch_op.drop_column("min_grade")

    with op.batch_alter_table("dashboard_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_challenge_subject"))
        batch_op.drop_column("subject")

    with op.batch_alter_table("dashboard_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_attempt_subject"))
        batch_op.drop_index(batch_op.f("ix_dashboard_attempt_client"))
        batch_op.drop_index(batch_op.f("ix_dashboard_attempt_at"))
    op.drop_table("dashboard_attempt")
