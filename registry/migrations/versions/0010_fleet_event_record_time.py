"""Fleet events on the record-time axis: corrected and voided, never rewritten

Each event gains the change set that recorded it (`recorded_in`, from its audit row; 0 when it
has none, known at every moment), the one that replaced it (`superseded_in`) and, for a
correction, the event it replaced (`corrects`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.migrations.shared import always_known

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_event = sa.table(
    "fleet_event",
    sa.column("id", sa.Integer()),
    sa.column("recorded_in", sa.Integer()),
    sa.column("superseded_in", sa.Integer()),
)
_change = sa.table(
    "change",
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("change_set_id", sa.Integer()),
)


def upgrade() -> None:
    bind = op.get_bind()
    always = always_known(bind)
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_in", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_in", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("corrects", sa.Integer(), nullable=True))
    created = (
        sa.select(sa.func.min(_change.c.change_set_id))
        .where(
            _change.c.entity == "fleet_event",
            _change.c.action == "create",
            _change.c.entity_id == _event.c.id,
        )
        .scalar_subquery()
    )
    bind.execute(_event.update().values(recorded_in=sa.func.coalesce(created, always)))
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.alter_column("recorded_in", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_fleet_event_recorded_in_change_set"), "change_set", ["recorded_in"], ["id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_fleet_event_superseded_in_change_set"),
            "change_set",
            ["superseded_in"],
            ["id"],
        )
        batch_op.create_foreign_key(
            op.f("fk_fleet_event_corrects_fleet_event"), "fleet_event", ["corrects"], ["id"]
        )


def downgrade() -> None:
    """Back to events recorded once: the rows corrections and voids replaced are dropped, the
    held ones stay."""
    bind = op.get_bind()
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_fleet_event_corrects_fleet_event"), type_="foreignkey")
    bind.execute(_event.delete().where(_event.c.superseded_in.is_not(None)))
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_fleet_event_superseded_in_change_set"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("fk_fleet_event_recorded_in_change_set"), type_="foreignkey")
        batch_op.drop_column("corrects")
        batch_op.drop_column("superseded_in")
        batch_op.drop_column("recorded_in")
