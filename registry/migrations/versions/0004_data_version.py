"""Data version: a one-row counter that every write raises, for readers' caches

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel  # generated column types may refer to sqlmodel


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    # Start from the number of changes already recorded, so a cache never meets an old number.
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM change")).scalar() or 0
    op.bulk_insert(table, [{"id": 1, "version": int(count)}])


def downgrade() -> None:
    op.drop_table("data_version")
