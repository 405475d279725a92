"""Contracts voided, never erased: the change set that voided a contract recorded by mistake

A voided contract leaves every read from then on; reads as known before still show it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voided_in", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_contract_voided_in_change_set"), "change_set", ["voided_in"], ["id"]
        )


def downgrade() -> None:
    """Voided contracts are dropped with their amendments (before this there was no void)."""
    bind = op.get_bind()
    contract = sa.table("contract", sa.column("id"), sa.column("voided_in"))
    amendment = sa.table("contract_amendment", sa.column("contract_id"))
    event = sa.table("fleet_event", sa.column("contract_id"))
    voided = sa.select(contract.c.id).where(contract.c.voided_in.is_not(None))
    bind.execute(amendment.delete().where(amendment.c.contract_id.in_(voided)))
    bind.execute(event.update().where(event.c.contract_id.in_(voided)).values(contract_id=None))
    bind.execute(contract.delete().where(contract.c.voided_in.is_not(None)))
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_contract_voided_in_change_set"), type_="foreignkey")
        batch_op.drop_column("voided_in")
