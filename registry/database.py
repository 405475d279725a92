"""Engines and transactions for SQLite (default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import DateTime, Dialect, Engine, TypeDecorator, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session


def normalise_url(url: str) -> str:
    """Pin the PostgreSQL driver to psycopg 3, whatever scheme spelling was given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, timeout: float = 5.0, statement_timeout: float | None = None, **options: Any
) -> Engine:
    """An engine for `url`. `timeout` (seconds) bounds connecting and, on SQLite, waiting for the
    write lock; `statement_timeout` bounds each PostgreSQL statement. SQLite also gets WAL and
    foreign keys on every connection."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
        if statement_timeout:
            connect_args["options"] = f"-c statement_timeout={round(statement_timeout * 1000)}"
        return create_engine(
            url, pool_pre_ping=True, pool_timeout=timeout, connect_args=connect_args, **options
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
    event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=round(timeout * 1000)))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A writer waits this long for another's write lock, then gets "database is locked" (503).
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()
    # The sqlite3 module's own transaction handling delays BEGIN and breaks SAVEPOINT; SQLAlchemy
    # emits BEGIN itself instead (its documented recipe), so savepoints and locks work as written.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # On the driver's connection: every request begins one, and this is SQLAlchemy's busiest
    # statement path for a word that needs no parameters, types or result.
    connection.connection.driver_connection.execute("BEGIN")


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, always timezone-aware UTC in Python; SQLite (which keeps no zone) stores UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...


def pk(row: _HasId) -> int:
    """The primary key of a stored row (SQLModel types ids as optional until flushed)."""
    if row.id is None:
        raise ValueError(f"{row!r} has not been stored yet")
    return row.id


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back everything when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
