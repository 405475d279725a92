"""Instruments: documents nations signed within a programme that are not memberships (a letter
of intent that preceded an enlargement), with their signatories; recorded in a change set and
voided, never erased

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("signed", sa.Date(), nullable=True),
        sa.Column("signed_precision", sa.String(length=5), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("recorded_in", sa.Integer(), nullable=False),
        sa.Column("voided_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.ForeignKeyConstraint(["recorded_in"], ["change_set.id"]),
        sa.ForeignKeyConstraint(["voided_in"], ["change_set.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_instrument_programme_id"), "instrument", ["programme_id"])
    op.create_table(
        "instrument_signatory",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("nation_code", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(["instrument_id"], ["instrument.id"]),
        sa.ForeignKeyConstraint(["nation_code"], ["nation.code"]),
        sa.PrimaryKeyConstraint("instrument_id", "nation_code"),
    )


def downgrade() -> None:
    """Instruments go with their tables (before this there were none)."""
    op.drop_table("instrument_signatory")
    op.drop_index(op.f("ix_instrument_programme_id"), table_name="instrument")
    op.drop_table("instrument")
