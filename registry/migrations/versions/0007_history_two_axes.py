"""History on two axes: change sets, and membership terms in valid and record time

Every change row gets a change set (one per request where the request id tells, else one per
row) and the row id of what it changed. Each participation's role, instrument, cost share, note
and dates move into `membership_term` rows; the audit trail is replayed so that what the
registry said after each recorded write stays readable with `as_known_on`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 07:00:00
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from registry.migrations.shared import always_known

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel  # generated column types may refer to sqlmodel

TERM_COLUMNS = ("role", "instrument", "cost_share_bp", "note")
SPELL_COLUMNS = ("joined", "joined_precision", "left", "left_precision", *TERM_COLUMNS)

_change = sa.table(
    "change",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("actor", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("request_id", sa.String()),
    sa.column("change_set_id", sa.Integer()),
    sa.column("entity_id", sa.Integer()),
)
_change_set = sa.Table(
    "change_set",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
    sa.Column("actor", sa.String()),
    sa.Column("request_id", sa.String()),
)
_participation = sa.table(
    "participation",
    sa.column("id", sa.Integer()),
    *(sa.column(name) for name in SPELL_COLUMNS),
)
_term = sa.table(
    "membership_term",
    *(
        sa.column(name)
        for name in (
            "participation_id",
            "valid_from",
            "valid_from_precision",
            "valid_to",
            "valid_to_precision",
            *TERM_COLUMNS,
            "recorded_in",
            "superseded_in",
        )
    ),
)


def upgrade() -> None:
    op.create_table(
        "change_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_set")),
    )
    with op.batch_alter_table("change_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_set_recorded_at"), ["recorded_at"])
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_set_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("entity_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_change_change_set_id_change_set"), "change_set", ["change_set_id"],
            ["id"],
        )  # fmt: skip
        batch_op.create_index(batch_op.f("ix_change_change_set_id"), ["change_set_id"])

    bind = op.get_bind()
    sets = _change_sets(bind)
    spells = [dict(row._mapping) for row in bind.execute(sa.select(_participation))]
    history = _spell_history(bind, sets)

    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.drop_index("uq_participation_active")
        for name in SPELL_COLUMNS:
            batch_op.drop_column(name)

    op.create_table(
        "membership_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participation_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column(
            "valid_from_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False
        ),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("valid_to_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("instrument", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("cost_share_bp", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("recorded_in", sa.Integer(), nullable=False),
        sa.Column("superseded_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participation_id"],
            ["participation.id"],
            name=op.f("fk_membership_term_participation_id_participation"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_in"],
            ["change_set.id"],
            name=op.f("fk_membership_term_recorded_in_change_set"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_in"],
            ["change_set.id"],
            name=op.f("fk_membership_term_superseded_in_change_set"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_term")),
    )
    with op.batch_alter_table("membership_term", schema=None) as batch_op:
        batch_op.create_index(
            "ix_membership_term_spell", ["participation_id", "superseded_in", "valid_from"]
        )
        batch_op.create_index(batch_op.f("ix_membership_term_recorded_in"), ["recorded_in"])
        batch_op.create_index(
            "uq_membership_term_open", ["participation_id"], unique=True,
            sqlite_where=sa.text("valid_to IS NULL AND superseded_in IS NULL"),
            postgresql_where=sa.text("valid_to IS NULL AND superseded_in IS NULL"),
        )  # fmt: skip

    rows = []
    for spell in spells:
        versions = history.get(spell["id"]) or [(always_known(bind), spell)]
        # The row as stored is what the registry holds now, whatever the trail says last.
        versions[-1] = (versions[-1][0], spell)
        for n, (number, state) in enumerate(versions):
            after = versions[n + 1][0] if n + 1 < len(versions) else None
            rows.append(_term_row(spell["id"], state, number, after))
    if rows:
        op.bulk_insert(_term, rows)  # type: ignore[arg-type]


def _term_row(spell: int, state: dict[str, Any], number: int, after: int | None) -> dict[str, Any]:
    return {
        "participation_id": spell,
        "valid_from": _day(state["joined"]),
        "valid_from_precision": state.get("joined_precision") or "day",
        "valid_to": _day(state.get("left")),
        "valid_to_precision": state.get("left_precision") if state.get("left") else None,
        **{name: state.get(name) for name in TERM_COLUMNS},
        "role": state.get("role") or "participant",
        "recorded_in": number,
        "superseded_in": after,
    }


def _day(value: Any) -> Any:
    """A stored day from a snapshot's date: `2014-11-05`, or the first day of `2014-11` or
    `2014` (a trail written by a later revision, replayed after a downgrade)."""
    if value is None or not isinstance(value, str):
        return value
    day = value[:10]
    day += {4: "-01-01", 7: "-01"}.get(len(day), "")
    return datetime.strptime(day, "%Y-%m-%d").date()


def _new_set(bind: sa.Connection, at: Any, actor: str, request_id: str | None) -> int:
    result = bind.execute(
        _change_set.insert().values(recorded_at=at, actor=actor, request_id=request_id)
    )
    return int(result.inserted_primary_key[0])


def _change_sets(bind: sa.Connection) -> dict[int, int]:
    """A change set per recorded request (consecutive rows with one request id), else per row,
    in the order the rows were written; returns change id → change set id."""
    sets: dict[int, int] = {}
    previous: tuple[str | None, int] | None = None
    rows = bind.execute(
        sa.select(_change.c.id, _change.c.at, _change.c.actor, _change.c.request_id,
                  _change.c.before, _change.c.after).order_by(_change.c.id)
    ).all()  # fmt: skip
    updates = []
    for id_, at, actor, request, before, after in rows:
        if previous is not None and request is not None and previous[0] == request:
            number = previous[1]
        else:
            number = _new_set(bind, at, actor, request)
        previous = (request, number)
        sets[id_] = number
        entity_id = next(
            (
                s["id"]
                for s in (after, before)
                if isinstance(s, dict) and isinstance(s.get("id"), int)
            ),
            None,
        )
        updates.append({"change_id": id_, "set_id": number, "row_id": entity_id})
    if updates:
        bind.execute(
            _change.update()
            .where(_change.c.id == sa.bindparam("change_id"))
            .values(change_set_id=sa.bindparam("set_id"), entity_id=sa.bindparam("row_id")),
            updates,
        )
    return sets


def _spell_history(bind: sa.Connection, sets: dict[int, int]) -> dict[int, list[tuple[int, Any]]]:
    """Per participation id, the states the audit trail recorded, oldest first, each with the
    change set that recorded it."""
    history: dict[int, list[tuple[int, Any]]] = {}
    rows = bind.execute(
        sa.select(_change.c.id, _change.c.after)
        .where(_change.c.entity == "participation", _change.c.after.is_not(None))
        .order_by(_change.c.id)
    ).all()
    for id_, after in rows:
        if isinstance(after, dict) and isinstance(after.get("id"), int) and after.get("joined"):
            history.setdefault(after["id"], []).append((sets[id_], after))
    return history


def downgrade() -> None:
    """Back to one row per spell: the dates and the last terms the registry holds now (what
    it held before, and the change sets, are dropped)."""
    bind = op.get_bind()
    terms = bind.execute(
        sa.select(_term).where(_term.c.superseded_in.is_(None)).order_by(_term.c.valid_from)
    ).all()
    spells: dict[int, dict[str, Any]] = {}
    for term in terms:
        row = term._mapping
        spell = spells.setdefault(row["participation_id"], {
            "joined": row["valid_from"], "joined_precision": row["valid_from_precision"],
        })  # fmt: skip
        spell.update({name: row[name] for name in TERM_COLUMNS})
        spell.update(left=row["valid_to"], left_precision=row["valid_to_precision"])
    op.drop_table("membership_term")
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(12), nullable=False,
                                      server_default="participant"))  # fmt: skip
        batch_op.add_column(sa.Column("instrument", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("joined", sa.Date(), nullable=False,
                                      server_default="1900-01-01"))  # fmt: skip
        batch_op.add_column(sa.Column("joined_precision", sa.String(5), nullable=False,
                                      server_default="day"))  # fmt: skip
        batch_op.add_column(sa.Column("left", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_precision", sa.String(5), nullable=True))
        batch_op.add_column(sa.Column("cost_share_bp", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(2000), nullable=True))
    if spells:
        bind.execute(
            _participation.update()
            .where(_participation.c.id == sa.bindparam("spell_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in SPELL_COLUMNS}),
            [{"spell_id": id_, **{f"new_{k}": v for k, v in spell.items()}}
             for id_, spell in spells.items()],
        )  # fmt: skip
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)
        batch_op.alter_column("joined", server_default=None)
        batch_op.alter_column("joined_precision", server_default=None)
        batch_op.create_index(
            "uq_participation_active", ["programme_id", "nation_code"], unique=True,
            sqlite_where=sa.text('"left" IS NULL'), postgresql_where=sa.text('"left" IS NULL'),
        )  # fmt: skip
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_change_set_id"))
        batch_op.drop_constraint(batch_op.f("fk_change_change_set_id_change_set"), "foreignkey")
        batch_op.drop_column("entity_id")
        batch_op.drop_column("change_set_id")
    op.drop_table("change_set")
