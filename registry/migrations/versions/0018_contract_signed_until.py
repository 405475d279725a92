"""A contract's latest possible signing day: the end of the period its date is known to, or of
the span it is only known to fall in (`2025-01/2025-06-24`), so filters take in every contract
that may fall in their range

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.dates import PartialDate, Precision

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_contract = sa.table(
    "contract",
    sa.column("id", sa.Integer()),
    sa.column("signed", sa.Date()),
    sa.column("signed_precision", sa.String()),
    sa.column("signed_until", sa.Date()),
)


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_until", sa.Date(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_contract.c.id, _contract.c.signed, _contract.c.signed_precision).where(
            _contract.c.signed.is_not(None)
        )
    ).all()
    ends = [
        {"key": number, "until": PartialDate(day, Precision(precision or "day")).end}
        for number, day, precision in rows
    ]
    if ends:
        bind.execute(
            _contract.update()
            .where(_contract.c.id == sa.bindparam("key"))
            .values(signed_until=sa.bindparam("until")),
            ends,
        )


def downgrade() -> None:
    """A span becomes its earliest day, known to the day (the span itself is lost)."""
    bind = op.get_bind()
    bind.execute(
        _contract.update()
        .where(_contract.c.signed_precision == "span")
        .values(signed_precision="day")
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_column("signed_until")
