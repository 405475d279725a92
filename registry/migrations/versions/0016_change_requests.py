"""Change requests: writes proposed by one person and applied whole when another approves; a
review setting per programme; the change set that applied a request names it

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.database import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("commands", sa.JSON(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_change_request_status"), "change_request", ["status"])
    op.create_index(op.f("ix_change_request_author"), "change_request", ["author"])
    op.create_index(op.f("ix_change_request_programme_id"), "change_request", ["programme_id"])
    with op.batch_alter_table("change_set", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_request_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review", sa.String(length=8), nullable=False, server_default="optional")
        )


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("review")
    with op.batch_alter_table("change_set", schema=None) as batch_op:
        batch_op.drop_column("change_request_id")
    op.drop_index(op.f("ix_change_request_programme_id"), table_name="change_request")
    op.drop_index(op.f("ix_change_request_author"), table_name="change_request")
    op.drop_index(op.f("ix_change_request_status"), table_name="change_request")
    op.drop_table("change_request")
