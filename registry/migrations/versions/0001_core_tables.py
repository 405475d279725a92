"""Core tables: nations, organisations, programmes, participation, contracts, fleet, sources, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-28 05:48:30.493572
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = sqlmodel  # generated column types may refer to sqlmodel


def upgrade() -> None:
    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_at"), ["at"], unique=False)
        batch_op.create_index("ix_change_entity_key", ["entity", "key"], unique=False)

    op.create_table(
        "nation",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("nato_member_since", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_nation")),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("published_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("excerpt", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("key", name=op.f("uq_source_key")),
    )
    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_citation_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation")),
        sa.UniqueConstraint(
            "entity", "entity_id", "source_id", name=op.f("uq_citation_entity_entity_id_source_id")
        ),
    )
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citation_source_id"), ["source_id"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country"], ["nation.code"], name=op.f("fk_organisation_country_nation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisation_slug")),
    )
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("acronym", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("managing_organisation_id", sa.Integer(), nullable=True),
        sa.Column("launched", sa.Date(), nullable=True),
        sa.Column("launched_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("capability_area", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("asset_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["managing_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_programme_managing_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("slug", name=op.f("uq_programme_slug")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programme_managing_organisation_id"),
            ["managing_organisation_id"],
            unique=False,
        )

    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=True),
        sa.Column("awarding_organisation_id", sa.Integer(), nullable=True),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("signed", sa.Date(), nullable=True),
        sa.Column("signed_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("value_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["awarding_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_contract_awarding_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["organisation.id"],
            name=op.f("fk_contract_contractor_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_contract_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint(
            "programme_id", "reference", name=op.f("uq_contract_programme_id_reference")
        ),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_contractor_id"), ["contractor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contract_currency"), ["currency"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contract_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contract_signed"), ["signed"], unique=False)

    op.create_table(
        "participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("nation_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("instrument", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("joined", sa.Date(), nullable=False),
        sa.Column("joined_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("left", sa.Date(), nullable=True),
        sa.Column("left_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("cost_share_bp", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nation_code"], ["nation.code"], name=op.f("fk_participation_nation_code_nation")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_participation_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation")),
    )
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participation_nation_code"), ["nation_code"], unique=False
        )
        batch_op.create_index(
            "ix_participation_programme_nation", ["programme_id", "nation_code"], unique=False
        )
        batch_op.create_index(
            "uq_participation_active",
            ["programme_id", "nation_code"],
            unique=True,
            sqlite_where=sa.text('"left" IS NULL'),
            postgresql_where=sa.text('"left" IS NULL'),
        )

    op.create_table(
        "fleet_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column(
            "event_date_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False
        ),
        sa.Column("asset_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_fleet_event_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_fleet_event_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_event")),
    )
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fleet_event_programme_date", ["programme_id", "event_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fleet_event", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_event_programme_date")

    op.drop_table("fleet_event")
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_participation_active",
            sqlite_where=sa.text('"left" IS NULL'),
            postgresql_where=sa.text('"left" IS NULL'),
        )
        batch_op.drop_index("ix_participation_programme_nation")
        batch_op.drop_index(batch_op.f("ix_participation_nation_code"))

    op.drop_table("participation")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_signed"))
        batch_op.drop_index(batch_op.f("ix_contract_programme_id"))
        batch_op.drop_index(batch_op.f("ix_contract_currency"))
        batch_op.drop_index(batch_op.f("ix_contract_contractor_id"))

    op.drop_table("contract")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_managing_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_programme_category"))

    op.drop_table("programme")
    op.drop_table("organisation")
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citation_source_id"))

    op.drop_table("citation")
    op.drop_table("source")
    op.drop_table("nation")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_entity_key")
        batch_op.drop_index(batch_op.f("ix_change_at"))
        batch_op.drop_index(batch_op.f("ix_change_actor"))

    op.drop_table("change")
