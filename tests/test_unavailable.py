"""A database that is busy or unreachable answers 503 with Retry-After, never 500, and nothing
is written; /health says 503 within the database time-out instead of hanging."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from registry.settings import Settings
from tests.conftest import auth, dump
from tests.test_api_writes import WRITES, send

pytestmark = pytest.mark.usefixtures("seeded")


@contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Another connection holds the registry's write lock (as a long import would)."""
    with engine.connect() as other:
        if engine.dialect.name == "sqlite":
            other.exec_driver_sql("COMMIT")  # leave the transaction the engine began
            other.exec_driver_sql("BEGIN IMMEDIATE")
        other.execute(text("UPDATE data_version SET version = version"))
        try:
            yield
        finally:
            other.rollback()


@pytest.fixture
def impatient_client(app_settings: Settings, client_with: Any) -> Iterator[TestClient[Any]]:
    """The API waiting at most 0.2 s for a lock (SQLite) or a statement (PostgreSQL)."""
    settings = Settings(
        database_url=app_settings.database_url, db_timeout=0.2, statement_timeout=0.2
    )
    with client_with(settings, base_url="https://testserver.local") as client:
        yield client


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_write_that_cannot_get_the_lock_is_503_with_retry_after(
    engine: Engine, tokens: dict[str, str], impatient_client: TestClient[Any], method: str,
    path: str, body: Any,
) -> None:  # fmt: skip
    before = dump(engine)
    with write_lock(engine):
        response = send(impatient_client, method, path, body, **auth(tokens["admin"]))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert [e["field"] for e in response.json()["errors"]] == ["database"]
    assert "nothing was written" in response.json()["detail"]
    assert dump(engine) == before


@pytest.mark.parametrize(
    ("listening", "says"),
    [(False, "cannot be reached"), (True, "did not answer in time")],
    ids=["refused", "frozen"],
)
def test_health_is_503_when_the_database_does_not_answer(
    listening: bool, says: str, client_with: Any
) -> None:
    """A port that refuses connections, or a frozen server that accepts and says nothing: the
    probe answers 503 within the database time-out either way."""
    socket_ = socket.socket()
    socket_.bind(("127.0.0.1", 0))
    if listening:
        socket_.listen(8)
    port = socket_.getsockname()[1]
    settings = Settings(database_url=f"postgresql://postgres@127.0.0.1:{port}/x", db_timeout=1)
    try:
        with client_with(settings) as client:
            response = client.get("/health")
    finally:
        socket_.close()
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert [e["field"] for e in response.json()["errors"]] == ["database"]
    assert says in response.json()["detail"]
