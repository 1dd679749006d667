"""staff day to day: revoked invite codes, paper applications as consent, corrected feedback,
scheduled broadcasts and tutors' posts (no class; two audiences)

Revision ID: 0007_staff
Revises: 0006_security
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_staff"
down_revision: str | None = "0006_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invite") as batch:
        batch.add_column(sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("document_path", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch.create_foreign_key("fk_consent_recorded_by_id_person", "person", ["recorded_by_id"], ["id"])
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("corrected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("broadcast") as batch:
        batch.alter_column("class_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("send_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        # A tutor's post to pupils and parents names two audiences: "tutoring_group,guardians".
        batch.alter_column(
            "audience",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
            type_=sqlmodel.sql.sqltypes.AutoString(length=40),
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.alter_column(
            "audience",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
            type_=sqlmodel.sql.sqltypes.AutoString(length=20),
        )
        batch.drop_column("cancelled_at")
        batch.drop_column("send_at")
        batch.alter_column("class_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("corrected_at")
    with op.batch_alter_table("consent") as batch:
        batch.drop_constraint("fk_consent_recorded_by_id_person", type_="foreignkey")
        batch.drop_column("document_path")
        batch.drop_column("recorded_by_id")
    with op.batch_alter_table("invite") as batch:
        batch.drop_column("revoked_at")
