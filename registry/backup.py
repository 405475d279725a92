"""A consistent copy of the whole registry in one SQLite file, from SQLite or PostgreSQL.

The copy is itself a registry database at the same schema revision: point
`REGISTRY_DATABASE_URL=sqlite:///FILE` at it to read or serve it. It is written beside the target
under a temporary name and renamed only when complete, so a failed backup leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import DBAPIError

from registry.database import make_engine
from registry.errors import InvalidValue
from registry.migrate import current_revision, head_revision, upgrade
from registry.schema import metadata

SKIPPED = ("web_session", "signin_failure")
"""Signed-in browser sessions and failed sign-ins are not data: a restored registry starts
with none."""
BATCH = 5_000
WRITE_FAILURES = {3, 8, 10, 13, 14}
"""SQLite's primary result codes for a file it cannot write: PERM, READONLY, IOERR, FULL and
CANTOPEN (a full disk is `SQLITE_FULL`, "database or disk is full")."""


def _snapshot(engine: Engine) -> Connection:
    """A connection whose reads all see one moment of the database."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    connection.begin()  # SQLite (WAL): the first read fixes the snapshot until the end
    return connection


def row_count(engine: Engine) -> int:
    """How many rows a backup copies (for a progress bar)."""
    with engine.connect() as connection:
        return sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name not in SKIPPED
        )


def backup(
    engine: Engine, target: Path, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every table to a new SQLite file at `target`; returns the rows copied per table."""
    if target.exists():
        raise InvalidValue("file", f"{target} exists; choose a new file name")
    if current_revision(engine) != head_revision():
        raise InvalidValue("database", "its schema is not the newest: run `registry db upgrade`")
    if not target.parent.is_dir():
        raise InvalidValue("file", f"no folder {target.parent} to write {target.name} in")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    copy = make_engine(f"sqlite:///{partial.resolve()}")
    counts: dict[str, int] = {}
    try:
        upgrade(copy)
        with _snapshot(engine) as source, copy.begin() as sink:
            for table in metadata.sorted_tables:
                if table.name in SKIPPED:
                    continue
                sink.execute(delete(table))  # rows the migrations made (the data version)
                rows = source.execute(table.select().order_by(*table.primary_key.columns))
                copied = 0
                while batch := rows.fetchmany(BATCH):
                    sink.execute(table.insert(), [row._asdict() for row in batch])
                    copied += len(batch)
                    if progress:
                        progress(table.name, len(batch))
                counts[table.name] = copied
        raw = copy.raw_connection()  # outside any transaction, as SQLite requires for this
        try:
            raw.cursor().execute("PRAGMA journal_mode=DELETE")  # fold the log into the one file
        finally:
            raw.close()
        copy.dispose()
        partial.rename(target)
    except BaseException as error:
        copy.dispose()
        for leftover in partial.parent.glob(f"{partial.name}*"):
            leftover.unlink(missing_ok=True)
        if reason := _write_failure(error):
            raise InvalidValue("file", f"cannot write {target}: {reason}") from None
        raise
    return counts


def _write_failure(error: BaseException) -> str | None:
    """Why writing the copy failed, when `error` says it could not be written (a full disk, a
    folder without permission); None for anything else."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in WRITE_FAILURES:
            return str(error.orig)
    return None
