"""threads between families and staff, and the reported reason of an absence

Revision ID: 0008_threads
Revises: 0007_staff
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_threads"
down_revision: str | None = "0007_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTC_DATETIME(), nullable=False),
        sa.Column("last_message_at", UTC_DATETIME(), nullable=False),
        sa.Column("waiting_since", UTC_DATETIME(), nullable=True),
        sa.ForeignKeyConstraint(["class_id"], ["class_.id"]),
        sa.ForeignKeyConstraint(["family_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["group_.id"]),
        sa.ForeignKeyConstraint(["pupil_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index("ix_thread_waiting", ["waiting_since", "id"], unique=False)

    op.create_table(
        "thread_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("from_family", sa.Boolean(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media_path", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["thread.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("thread_message", schema=None) as batch_op:
        batch_op.create_index("ix_thread_message_author_at", ["author_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_thread_message_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "thread_notice",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["thread.id"]),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    with op.batch_alter_table("thread_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thread_notice_thread_id"), ["thread_id"], unique=False)

    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reason_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=""
            )
        )
        batch_op.add_column(sa.Column("reported_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reported_at", UTC_DATETIME(), nullable=True))
        batch_op.add_column(sa.Column("excused", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("excused_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_attendance_reported_by_person", "person", ["reported_by"], ["id"])
        batch_op.create_foreign_key("fk_attendance_excused_by_person", "person", ["excused_by"], ["id"])
    # The rows written from now on carry the model's own default; the column keeps none.
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.alter_column("reason_note", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attendance_excused_by_person", type_="foreignkey")
        batch_op.drop_constraint("fk_attendance_reported_by_person", type_="foreignkey")
        batch_op.drop_column("excused_by")
        batch_op.drop_column("excused")
        batch_op.drop_column("reported_at")
        batch_op.drop_column("reported_by")
        batch_op.drop_column("reason_note")
        batch_op.drop_column("reason")
    op.drop_table("thread_notice")
    op.drop_table("thread_message")
    op.drop_table("thread")
