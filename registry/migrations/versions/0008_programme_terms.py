"""Programmes' status and managing organisation on two axes

Each programme's status and managing organisation move into `programme_term` rows held from the
beginning of the calendar; the audit trail is replayed so that what the registry said after each
recorded write stays readable with `as_known_on`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 08:00:00
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from registry.migrations.shared import always_known

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SINCE = date(1, 1, 1)  # registry.programme_terms.SINCE, as it was when this was written

_programme = sa.table(
    "programme",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("managing_organisation_id", sa.Integer()),
)
_change = sa.table(
    "change",
    sa.column("id", sa.Integer()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("after", sa.JSON()),
    sa.column("change_set_id", sa.Integer()),
)
_term = sa.table(
    "programme_term",
    *(sa.column(name) for name in (
        "programme_id", "valid_from", "valid_from_precision", "valid_to", "valid_to_precision",
        "status", "managing_organisation_id", "recorded_in", "superseded_in",
    )),
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    programmes = [dict(row._mapping) for row in bind.execute(sa.select(_programme))]
    history: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for number, row_id, after in bind.execute(
        sa.select(_change.c.change_set_id, _change.c.entity_id, _change.c.after)
        .where(_change.c.entity == "programme", _change.c.after.is_not(None))
        .order_by(_change.c.id)
    ):
        if isinstance(after, dict) and "status" in after and row_id is not None:
            history.setdefault(row_id, []).append((number, after))

    op.create_table(
        "programme_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_from_precision", sqlmodel.sql.sqltypes.AutoString(length=5),
                  nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("valid_to_precision", sqlmodel.sql.sqltypes.AutoString(length=5),
                  nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("managing_organisation_id", sa.Integer(), nullable=True),
        sa.Column("recorded_in", sa.Integer(), nullable=False),
        sa.Column("superseded_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"],
                                name=op.f("fk_programme_term_programme_id_programme")),
        sa.ForeignKeyConstraint(["managing_organisation_id"], ["organisation.id"],
                                name=op.f("fk_programme_term_managing_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["recorded_in"], ["change_set.id"],
                                name=op.f("fk_programme_term_recorded_in_change_set")),
        sa.ForeignKeyConstraint(["superseded_in"], ["change_set.id"],
                                name=op.f("fk_programme_term_superseded_in_change_set")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_term")),
    )  # fmt: skip
    with op.batch_alter_table("programme_term", schema=None) as batch_op:
        batch_op.create_index(
            "ix_programme_term_programme", ["programme_id", "superseded_in", "valid_from"]
        )
        batch_op.create_index(
            batch_op.f("ix_programme_term_managing_organisation_id"), ["managing_organisation_id"]
        )
        batch_op.create_index(batch_op.f("ix_programme_term_recorded_in"), ["recorded_in"])
        batch_op.create_index(
            "uq_programme_term_open", ["programme_id"], unique=True,
            sqlite_where=sa.text("valid_to IS NULL AND superseded_in IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL AND superseded_in IS NULL"),
        )  # fmt: skip

    rows = []
    for programme in programmes:
        versions = history.get(programme["id"])
        if not versions:  # no audit row: held from the change set that counts as always known
            versions = [(always_known(bind), programme)]
        versions[-1] = (versions[-1][0], programme)  # what is stored is what is held now
        for n, (number, state) in enumerate(versions):
            rows.append({
                "programme_id": programme["id"], "valid_from": SINCE,
                "valid_from_precision": "year", "valid_to": None, "valid_to_precision": None,
                "status": state["status"],
                "managing_organisation_id": state.get("managing_organisation_id"),
                "recorded_in": number,
                "superseded_in": versions[n + 1][0] if n + 1 < len(versions) else None,
            })  # fmt: skip
    if rows:
        op.bulk_insert(_term, rows)  # type: ignore[arg-type]

    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_managing_organisation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_programme_managing_organisation_id_organisation"), "foreignkey"
        )
        batch_op.drop_column("managing_organisation_id")
        batch_op.drop_column("status")


def downgrade() -> None:
    """Back to one status and managing organisation per programme: those held today."""
    bind = op.get_bind()
    today = date.today().isoformat()  # dates come back as ISO text on SQLite: compare those
    held: dict[int, dict[str, Any]] = {}
    for row in bind.execute(
        sa.select(_term).where(_term.c.superseded_in.is_(None)).order_by(_term.c.valid_from)
    ):
        term = row._mapping
        start, end = str(term["valid_from"]), term["valid_to"]
        if start <= today and (end is None or today < str(end)):
            held[term["programme_id"]] = dict(term)
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(10), nullable=False,
                                      server_default="active"))  # fmt: skip
        batch_op.add_column(sa.Column("managing_organisation_id", sa.Integer(), nullable=True))
    if held:
        bind.execute(
            _programme.update()
            .where(_programme.c.id == sa.bindparam("row_id"))
            .values(status=sa.bindparam("new_status"),
                    managing_organisation_id=sa.bindparam("new_agency")),
            [{"row_id": id_, "new_status": term["status"],
              "new_agency": term["managing_organisation_id"]} for id_, term in held.items()],
        )  # fmt: skip
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.create_foreign_key(
            batch_op.f("fk_programme_managing_organisation_id_organisation"), "organisation",
            ["managing_organisation_id"], ["id"],
        )  # fmt: skip
        batch_op.create_index(
            batch_op.f("ix_programme_managing_organisation_id"), ["managing_organisation_id"]
        )
    op.drop_table("programme_term")
