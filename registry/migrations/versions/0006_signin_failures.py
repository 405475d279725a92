"""Sign-in failures: the throttle's counts, shared by every worker

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failure")),
    )
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_failure_failed_at"), ["failed_at"], unique=False
        )
        batch_op.create_index("ix_signin_failure_key_failed_at", ["key", "failed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_failure_key_failed_at")
        batch_op.drop_index(batch_op.f("ix_signin_failure_failed_at"))

    op.drop_table("signin_failure")
