"""What supports each fact: a source may be a general compilation (public reporting gathered
without one publisher or date, which supports a fact at most at medium confidence), and a
citation may quote the words of its source's excerpt that support the fact

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("general", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    """Which sources were general compilations, and the citations' quotes, are lost."""
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_column("quote")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_column("general")
