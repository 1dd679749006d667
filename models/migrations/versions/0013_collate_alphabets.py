"""the readers' alphabetical orders as PostgreSQL collations: ustaz_kk (Kazakh), ustaz_ru and ustaz_en
(Russian), ICU's with numbers by value («8А» before «10Б»), as `locales.collation` orders them; SQLite
learns the same names, as functions, on every connection (`models.store`)

Revision ID: 0013_collate
Revises: 0012_staff2
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_collate"
down_revision: str | None = "0012_staff2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The collation and the ICU locale it is made of; English readers get the Russian order, as
# `locales.collation.ALPHABETS` gives them.
ICU = {"ustaz_kk": "kk-u-kn-true", "ustaz_ru": "ru-u-kn-true", "ustaz_en": "ru-u-kn-true"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, locale in ICU.items():
        op.execute(f"CREATE COLLATION IF NOT EXISTS {name} (provider = icu, locale = '{locale}')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in ICU:
        op.execute(f"DROP COLLATION IF EXISTS {name}")
