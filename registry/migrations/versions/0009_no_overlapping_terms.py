"""A guard under the rules: the terms the registry holds for one spell or programme never overlap

A trigger on each term table refuses a row, held now (no `superseded_in`), whose period overlaps
another held row of the same spell or programme. The write path closes the rows it replaces
before it adds their replacements, so only a write that bypasses the rules meets it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERMS = {"membership_term": "participation_id", "programme_term": "programme_id"}


def _overlap(table: str, key: str) -> str:
    return f"""
        NEW.superseded_in IS NULL AND EXISTS (
            SELECT 1 FROM {table} held
            WHERE held.{key} = NEW.{key} AND held.superseded_in IS NULL
              AND (held.valid_to IS NULL OR held.valid_to > NEW.valid_from)
              AND (NEW.valid_to IS NULL OR NEW.valid_to > held.valid_from)
        )"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, key in TERMS.items():
        message = f"{table} overlaps a held term of the same {key.removesuffix('_id')}"
        if postgres:
            op.execute(f"""
                CREATE FUNCTION {table}_no_overlap() RETURNS trigger AS $$
                BEGIN
                    IF {_overlap(table, key)} THEN
                        RAISE EXCEPTION '{message}' USING ERRCODE = '23P01';
                    END IF;
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""")  # fmt: skip
            op.execute(f"""
                CREATE TRIGGER {table}_no_overlap BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_no_overlap()""")  # fmt: skip
        else:
            op.execute(f"""
                CREATE TRIGGER {table}_no_overlap BEFORE INSERT ON {table}
                WHEN {_overlap(table, key)}
                BEGIN SELECT RAISE(ABORT, '{message}'); END""")  # fmt: skip


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TERMS:
        op.execute(f"DROP TRIGGER {table}_no_overlap" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION {table}_no_overlap()")
