"""programme rules as data: mixed grades, low-income only, the consent's name of the programme, the
quarter mark's weights; a school's days; a work's label (section / term summative, entry / final
diagnostic)

Revision ID: 0015_programme
Revises: 0014_calendar
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_programme"
down_revision: str | None = "0014_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIGITAL_TUTOR_NAMES = {"kk": "Цифрлық ұстаз", "ru": "Цифровой наставник", "en": "Digital Tutor"}
QUARTER_WEIGHTS = '{"formative": 25, "section": 25, "term": 50}'
SCHOOL_DAYS = "[0, 1, 2, 3, 4]"


def upgrade() -> None:
    with op.batch_alter_table("programme") as batch:
        batch.add_column(sa.Column("mixed_grades", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("low_income_only", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("consent_names", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("weights", sa.JSON(), nullable=False, server_default=QUARTER_WEIGHTS))
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("school_days", sa.JSON(), nullable=False, server_default=SCHOOL_DAYS))
    with op.batch_alter_table("homework") as batch:
        batch.add_column(sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
    # A programme stored before had only its name: the Digital Tutor's is known in each language.
    op.execute(
        sa.text("UPDATE programme SET consent_names = :names WHERE code = 'digital-tutor'").bindparams(
            sa.bindparam("names", DIGITAL_TUTOR_NAMES, type_=sa.JSON())
        )
    )
    # The dashboard's overview (0011) wrote a diagnostic's moment as its kind: it is now a diagnostic
    # labelled entry or final, as the assessment scheme names every labelled work.
    op.execute(
        sa.text("UPDATE homework SET label = kind, kind = 'diagnostic' WHERE kind IN ('entry', 'final')")
    )
    # The defaults served the rows already there; new rows get theirs from the models.
    for table, columns in (
        ("programme", ("mixed_grades", "low_income_only", "consent_names", "weights")),
        ("school", ("school_days",)),
    ):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, server_default=None)


def downgrade() -> None:
    op.execute(sa.text("UPDATE homework SET kind = label WHERE kind = 'diagnostic'"))
    with op.batch_alter_table("homework") as batch:
        batch.drop_column("label")
    with op.batch_alter_table("school") as batch:
        batch.drop_column("school_days")
    with op.batch_alter_table("programme") as batch:
        for column in ("weights", "consent_names", "low_income_only", "mixed_grades"):
            batch.drop_column(column)
