"""Programmes' descriptions on the record-time axis

Each programme's name, acronym, category, launch, description, capability area and asset type
get `programme_version` rows; the audit trail is replayed so that what the registry said after
each recorded write stays readable with `as_known_on`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from registry.migrations.shared import always_known

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# registry.programme_versions.DESCRIBED, as it was when this was written.
DESCRIBED = (
    "name", "acronym", "category", "launched", "launched_precision", "description",
    "capability_area", "asset_type",
)  # fmt: skip

_programme = sa.table("programme", *(sa.column(name) for name in ("id", *DESCRIBED)))
_change = sa.table(
    "change",
    sa.column("id", sa.Integer()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("after", sa.JSON()),
    sa.column("change_set_id", sa.Integer()),
)
_version = sa.table(
    "programme_version",
    *(sa.column(name) for name in ("programme_id", *DESCRIBED, "recorded_in", "superseded_in")),
)


def _described(state: dict[str, Any]) -> dict[str, Any]:
    values = {name: state.get(name) for name in DESCRIBED}
    if isinstance(values["launched"], str):  # the audit trail holds dates as ISO text
        values["launched"] = date.fromisoformat(values["launched"])
    return values


def upgrade() -> None:
    op.create_table(
        "programme_version",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("acronym", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("launched", sa.Date(), nullable=True),
        sa.Column("launched_precision", sqlmodel.sql.sqltypes.AutoString(length=5),
                  nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("capability_area", sqlmodel.sql.sqltypes.AutoString(length=200),
                  nullable=True),
        sa.Column("asset_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("recorded_in", sa.Integer(), nullable=False),
        sa.Column("superseded_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"],
                                name=op.f("fk_programme_version_programme_id_programme")),
        sa.ForeignKeyConstraint(["recorded_in"], ["change_set.id"],
                                name=op.f("fk_programme_version_recorded_in_change_set")),
        sa.ForeignKeyConstraint(["superseded_in"], ["change_set.id"],
                                name=op.f("fk_programme_version_superseded_in_change_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_version")),
    )  # fmt: skip
    with op.batch_alter_table("programme_version", schema=None) as batch_op:
        batch_op.create_index("ix_programme_version_programme", ["programme_id", "superseded_in"])
        batch_op.create_index(batch_op.f("ix_programme_version_recorded_in"), ["recorded_in"])

    bind = op.get_bind()
    history: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for number, row_id, after in bind.execute(
        sa.select(_change.c.change_set_id, _change.c.entity_id, _change.c.after)
        .where(_change.c.entity == "programme", _change.c.after.is_not(None))
        .order_by(_change.c.id)
    ):
        if isinstance(after, dict) and "name" in after and row_id is not None:
            versions = history.setdefault(row_id, [])
            described = _described(after)
            if not versions or versions[-1][1] != described:
                versions.append((number, described))
    rows = []
    for programme in bind.execute(sa.select(_programme)):
        versions = history.get(programme.id) or [(always_known(bind), {})]
        now = _described(dict(programme._mapping))
        versions[-1] = (versions[-1][0], now)  # what is stored is what is held now
        for n, (number, state) in enumerate(versions):
            following = versions[n + 1][0] if n + 1 < len(versions) else None
            rows.append({"programme_id": programme.id, **state, "recorded_in": number,
                         "superseded_in": following})  # fmt: skip
    if rows:
        op.bulk_insert(_version, rows)  # type: ignore[arg-type]


def downgrade() -> None:
    """Back to the description held now only: the versions are dropped."""
    with op.batch_alter_table("programme_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_version_recorded_in"))
        batch_op.drop_index("ix_programme_version_programme")
    op.drop_table("programme_version")
