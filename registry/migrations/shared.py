"""What more than one migration needs, kept in one place (and never changed once released)."""

from datetime import UTC, datetime

import sqlalchemy as sa

ALWAYS = 0
"""The change set of rows no audit row covers: numbered below every other and dated 1900, so
they count as known at every moment (as `registry.history.created_after` treats such rows)."""

_change_set = sa.Table(
    "change_set",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
    sa.Column("actor", sa.String()),
)


def always_known(bind: sa.Connection) -> int:
    """Make (once) and name the change set for rows written without an audit row."""
    found = bind.execute(sa.select(_change_set.c.id).where(_change_set.c.id == ALWAYS)).first()
    if found is None:
        bind.execute(
            _change_set.insert().values(
                id=ALWAYS, recorded_at=datetime(1900, 1, 1, tzinfo=UTC), actor="migration"
            )
        )
    return ALWAYS
