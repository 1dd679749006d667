"""indexes for the dashboard's pages: a person's messages by moment with their status and channel (the
delivery page counts a period's messages from the index alone), and whether an absence was excused
in the attendance index (the attendance table counts from the index alone)

Revision ID: 0017_pages
Revises: 0016_reimport
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_pages"
down_revision: str | None = "0016_reimport"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ATTENDANCE_BEFORE = ["pupil_id", "on_date", "lesson_id", "status"]


def upgrade() -> None:
    op.create_index(
        "ix_notification_person_at", "notification", ["person_id", "created_at", "status", "channel"]
    )
    op.drop_index("ix_attendance_pupil_day", table_name="attendance")
    op.create_index("ix_attendance_pupil_day", "attendance", [*ATTENDANCE_BEFORE, "excused"])


def downgrade() -> None:
    op.drop_index("ix_attendance_pupil_day", table_name="attendance")
    op.create_index("ix_attendance_pupil_day", "attendance", ATTENDANCE_BEFORE)
    op.drop_index("ix_notification_person_at", table_name="notification")
