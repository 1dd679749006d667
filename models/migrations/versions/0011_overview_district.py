"""coordinators above schools: a school's region and district, and who reads a district's or a
region's monitoring; the indexes the monitoring's counts use

Revision ID: 0011_overview
Revises: 0010_voice
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_overview"
down_revision: str | None = "0010_voice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.add_column(
            sa.Column(
                "region", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column(
                "district", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
            )
        )
        batch.create_index("ix_school_region", ["region"])
        batch.create_index("ix_school_district", ["district"])
    op.create_table(
        "district_coordinator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "region", "district"),
    )
    op.create_index("ix_district_coordinator_person_id", "district_coordinator", ["person_id"])
    # The monitoring's look-ups: a pupil's work for a homework, a pupil's marks over a period,
    # homework by when it falls due.
    op.create_index("ix_submission_homework_pupil", "submission", ["homework_id", "pupil_id"])
    op.create_index("ix_attendance_pupil_day", "attendance", ["pupil_id", "on_date", "lesson_id", "status"])
    op.create_index("ix_homework_due_at", "homework", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_homework_due_at", table_name="homework")
    op.drop_index("ix_attendance_pupil_day", table_name="attendance")
    op.drop_index("ix_submission_homework_pupil", table_name="submission")
    op.drop_index("ix_district_coordinator_person_id", table_name="district_coordinator")
    op.drop_table("district_coordinator")
    with op.batch_alter_table("school") as batch:
        batch.drop_index("ix_school_district")
        batch.drop_index("ix_school_region")
        batch.drop_column("district")
        batch.drop_column("region")
