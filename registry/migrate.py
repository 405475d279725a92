"""Schema migrations (Alembic), driven from code so no alembic.ini is needed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema up to `revision`, keeping its data."""
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole migration. On SQLite, foreign keys are off meanwhile (it
    alters a table by copying it and dropping the old one, which the rows pointing at it would
    refuse) and checked before commit: any row left pointing nowhere undoes it all."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        raw: Any = connection.connection.driver_connection
        if sqlite:  # only outside a transaction does SQLite take this pragma
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"the migration left rows pointing nowhere: {broken[:5]}"
                        )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
