"""Every database test runs on SQLite and on PostgreSQL, each time on a fresh database.

SQLite: a copy of a migrated template file. PostgreSQL: `CREATE DATABASE ... TEMPLATE` from a
database migrated once per test run, dropped after the test. Where PostgreSQL cannot be reached
its tests skip with a message, except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Engine, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api.app import create_app, use_settings
from registry.database import make_engine, normalise_url, unit_of_work
from registry.errors import RegistryError
from registry.migrate import upgrade
from registry.schema import metadata
from registry.serve import uvicorn_options
from registry.settings import Settings
from registry.users import add_user, create_token, use_password_hasher
from seed.load import load_first_data_set, load_nations

POSTGRES_URL = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# argon2 at its cheapest: the tests check that passwords are hashed and verified, not how slowly.
use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def postgres_url(database: str) -> str:
    return make_url(normalise_url(POSTGRES_URL)).set(database=database).render_as_string(False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """A connection to the PostgreSQL server for creating and dropping test databases."""
    engine = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        reason = f"PostgreSQL unreachable at {POSTGRES_URL} ({type(error.orig).__name__})"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(f"{reason}; set REGISTRY_TEST_POSTGRES_URL to run these tests")
    yield engine
    engine.dispose()


def create_database(admin: Engine, *, template: str | None = None) -> str:
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    if template and _copies_files(admin):
        # A small database copies twice as fast file by file as through the WAL (15's default).
        clause += " STRATEGY FILE_COPY"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return name


@functools.cache
def _copies_files(admin: Engine) -> bool:
    """Whether the server can copy a template file by file (PostgreSQL 15 or later)."""
    with admin.connect() as connection:
        return int(connection.execute(text("SHOW server_version_num")).scalar_one()) >= 150000


def drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_dropper() -> Iterator[ThreadPoolExecutor]:
    """Drops used test databases in the background while the next tests run; all are gone
    before the run ends."""
    with ThreadPoolExecutor(max_workers=1) as dropper:
        yield dropper


@dataclass
class Contents:
    """What a template holds: its tables and migration head, every row, each sequence's value."""

    tables: set[str]
    head: str
    rows: list[tuple[Table, list[dict[str, Any]]]]
    sequences: dict[str, int | None]


def _shape(connection: Connection) -> tuple[set[str], str]:
    tables = set(
        connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
    )
    head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return tables, head


class DatabasePool:
    """Test databases used again: a database a test gave back with the schema untouched is
    emptied and filled with its template's rows (a few statements) instead of being copied
    afresh (CREATE DATABASE copies the catalogs too: a few tenths of a second each)."""

    def __init__(self, admin: Engine, dropper: ThreadPoolExecutor) -> None:
        self.admin, self.dropper = admin, dropper
        self.contents: dict[str, Contents] = {}
        self.free: list[str] = []

    def _contents(self, template: str) -> Contents:
        if template not in self.contents:
            engine = make_engine(postgres_url(template))
            with engine.connect() as connection:
                tables, head = _shape(connection)
                rows = [
                    (table, [dict(row._mapping) for row in connection.execute(table.select())])
                    for table in metadata.sorted_tables
                ]
                sequences: dict[str, int | None] = dict(
                    connection.execute(
                        text("SELECT sequencename, last_value FROM pg_sequences")
                    ).all()
                )
            engine.dispose()
            self.contents[template] = Contents(tables, head, rows, sequences)
        return self.contents[template]

    def take(self, template: str) -> str:
        contents = self._contents(template)
        if not self.free:
            return create_database(self.admin, template=template)
        name = self.free.pop()
        engine = make_engine(postgres_url(name))
        with engine.begin() as connection:
            # DELETE, not TRUNCATE: a few rows go faster than new files for every table.
            for table, _ in reversed(contents.rows):
                connection.execute(table.delete())
            for table, rows in contents.rows:
                if rows:
                    connection.execute(table.insert(), rows)
            for sequence, value in contents.sequences.items():
                connection.execute(
                    text("SELECT setval(:name, :value, :called)"),
                    {"name": sequence, "value": value or 1, "called": value is not None},
                )
        engine.dispose()
        return name

    def give_back(self, name: str, template: str) -> None:
        """Keep the database for the next test, or drop it when the test changed its schema
        (a migration test) or left a connection open."""
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        engine = make_engine(postgres_url(name))
        try:
            with engine.connect() as connection:
                shape = _shape(connection)
        except Exception:  # no alembic_version left, for one
            shape = None
        engine.dispose()
        contents = self._contents(template)
        if shape == (contents.tables, contents.head):
            self.free.append(name)
        else:
            self.dropper.submit(drop_database, self.admin, name)

    def drop_all(self) -> None:
        for name in self.free:
            drop_database(self.admin, name)


@pytest.fixture(scope="session")
def postgres_pool(
    postgres_admin: Engine, postgres_dropper: ThreadPoolExecutor, postgres_seeded_template: str
) -> Iterator[DatabasePool]:
    """After both templates (so its databases are dropped before them)."""
    pool = DatabasePool(postgres_admin, postgres_dropper)
    yield pool
    pool.drop_all()


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: Engine) -> Iterator[str]:
    name = create_database(postgres_admin)
    engine = make_engine(postgres_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    drop_database(postgres_admin, name)


@pytest.fixture(scope="session")
def postgres_seeded_template(postgres_admin: Engine, postgres_template: str) -> Iterator[str]:
    name = create_database(postgres_admin, template=postgres_template)
    engine = make_engine(postgres_url(name))
    with unit_of_work(engine) as session:
        load_first_data_set(session)
    engine.dispose()
    yield name
    drop_database(postgres_admin, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_seeded_template(sqlite_template: Path) -> Path:
    path = sqlite_template.with_name("seeded.db")
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(engine) as session:
        load_first_data_set(session)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A URL to a database with no schema at all, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = create_database(admin)
    yield postgres_url(name)
    drop_database(admin, name)


def fresh_engine(
    backend: str, request: pytest.FixtureRequest, path: Path, *, seeded: bool
) -> Iterator[Engine]:
    """A migrated database of its own, copied from a template (seeded or not)."""
    if backend == "sqlite":
        template = "sqlite_seeded_template" if seeded else "sqlite_template"
        shutil.copyfile(request.getfixturevalue(template), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    pool: DatabasePool = request.getfixturevalue("postgres_pool")
    template = request.getfixturevalue(
        "postgres_seeded_template" if seeded else "postgres_template"
    )
    name = pool.take(template)
    engine = make_engine(postgres_url(name))
    yield engine
    engine.dispose()
    pool.give_back(name, template)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database: empty, or holding the first data set when the test asks
    for `seeded` (copied from a template loaded once per run, which is much faster)."""
    seeded = "seeded" in request.fixturenames
    yield from fresh_engine(backend, request, tmp_path / "registry.db", seeded=seeded)


@pytest.fixture
def second_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Another fresh, migrated, empty database on the same backend (for copies between two)."""
    yield from fresh_engine(backend, request, tmp_path / "second.db", seeded=False)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh database; tests commit when they want a change to stay."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def nations(engine: Engine) -> None:
    """The 32 Allies and the partners in the database."""
    with unit_of_work(engine) as session:
        load_nations(session, actor="fixture")


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: compared before and after a refused write."""
    rows = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            query = table.select().order_by(*table.primary_key.columns)
            rows[name] = [tuple(row) for row in connection.execute(query)]
    return rows


@pytest.fixture
def refused(engine: Engine) -> Callable[..., RegistryError]:
    """Run a write in its own transaction, expect `kind`, and check the database is unchanged."""

    def check(kind: type[RegistryError], write: Callable[[Session], object]) -> RegistryError:
        before = dump(engine)
        with Session(engine) as session:
            with pytest.raises(kind) as info:
                write(session)
            # Commit whatever the refused call may have flushed: a rule must refuse before it
            # writes, so even a caller that carries on and commits finds nothing of it.
            session.commit()
        assert dump(engine) == before, "a refused write left rows behind"
        return info.value

    return check


@pytest.fixture
def seeded(engine: Engine) -> None:
    """The first data set, loaded: `engine` sees this fixture's name and copies a seeded template."""


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    """A bearer token for a viewer, an editor and an admin (users named after their role)."""
    found = {}
    with unit_of_work(engine) as session:
        for role in ("viewer", "editor", "admin"):
            add_user(session, username=role, role=role, actor="fixture")
            found[role] = create_token(session, username=role, actor="fixture")[1]
    return found


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app_settings(engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """The application, built once per test process (building it takes longer than most tests);
    each test gives it its own database, engines, cache and limits (`use_settings`)."""
    unused = tmp_path_factory.mktemp("app") / "unused.db"  # replaced before any request
    return create_app(Settings(database_url=f"sqlite:///{unused}"))


@pytest.fixture
def client(shared_app: Litestar, app_settings: Settings) -> Iterator[TestClient[Any]]:
    """The API on the test database, called in-process over HTTPS (as deployed behind TLS)."""
    use_settings(shared_app, app_settings)
    with TestClient(shared_app, base_url="https://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def staff(engine: Engine) -> None:
    """Users named viewer, editor and admin who sign in to the staff pages with passwords."""
    from tests.staff import add_staff

    add_staff(engine)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served_process(
    app_settings: Settings, seeded: None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The served application (uvicorn, as `registry serve` runs it) on the seeded database:
    its address and its process (to signal)."""
    port = free_port()
    env = os.environ | {"REGISTRY_DATABASE_URL": app_settings.database_url}
    command = [sys.executable, "-m", "uvicorn", "api.app:serve_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the server did not start")
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(served_process: tuple[str, subprocess.Popen[bytes]]) -> str:
    """The served application's address."""
    return served_process[0]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Litestar, str]]:
    """An application served by uvicorn in a thread of the test process, for the whole run (a
    server process per test costs seconds of start-up); `live_server` gives it a test's database."""
    unused = tmp_path_factory.mktemp("live") / "unused.db"
    app = create_app(Settings(database_url=f"sqlite:///{unused}"))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning",
        **{k: v for k, v in uvicorn_options(Settings()).items()
           if k in ("http", "h11_max_incomplete_event_size", "timeout_keep_alive")},
    )  # fmt: skip
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    yield app, f"http://127.0.0.1:{config.port}"
    served.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def live_server(
    live_app: tuple[Litestar, str], app_settings: Settings, seeded: None
) -> Iterator[str]:
    """The live application on this test's seeded database: its address."""
    app, base = live_app
    use_settings(app, app_settings)
    yield base
    app.state.engine.dispose()
    app.state.cache.engine.dispose()
