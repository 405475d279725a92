"""Contract amendments: a new title, value or quantity from an effective date

The contract row keeps what was signed; amendments hold from their effective date and are
recorded in a change set like every other fact on two axes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("effective_precision", sqlmodel.sql.sqltypes.AutoString(length=5),
                  nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("value_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("correction", sa.Boolean(), nullable=False),
        sa.Column("recorded_in", sa.Integer(), nullable=False),
        sa.Column("superseded_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"],
                                name=op.f("fk_contract_amendment_contract_id_contract")),
        sa.ForeignKeyConstraint(["recorded_in"], ["change_set.id"],
                                name=op.f("fk_contract_amendment_recorded_in_change_set")),
        sa.ForeignKeyConstraint(["superseded_in"], ["change_set.id"],
                                name=op.f("fk_contract_amendment_superseded_in_change_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_amendment")),
    )  # fmt: skip
    op.create_index(
        "ix_contract_amendment_contract", "contract_amendment", ["contract_id", "effective"]
    )


def downgrade() -> None:
    """Back to contracts as signed: the amendments are dropped."""
    op.drop_index("ix_contract_amendment_contract", table_name="contract_amendment")
    op.drop_table("contract_amendment")
