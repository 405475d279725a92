"""Contracts: one index for lists by currency, date and value (replaces the currency index)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:18:36.488487
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel  # generated column types may refer to sqlmodel


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_currency"))
        batch_op.create_index(
            "ix_contract_currency_signed_value", ["currency", "signed", "value_minor"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_currency_signed_value")
        batch_op.create_index(batch_op.f("ix_contract_currency"), ["currency"], unique=False)
