"""Every database test runs on SQLite and on PostgreSQL, each time on a fresh database.

SQLite: a copy of a migrated template file. PostgreSQL: a database copied once from a template
migrated (and seeded) once per test run, then used again by later tests with the template's rows
put back where a test changed them (`DatabasePool`). Where PostgreSQL cannot be reached
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
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from api.app import create_app, use_settings
from registry import database as registry_database
from registry.database import make_engine, normalise_url, unit_of_work
from registry.errors import RegistryError
from registry.migrate import upgrade
from registry.rates import load_packaged
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


def _sharing_compiled_statements(create: Callable[..., Engine]) -> Callable[..., Engine]:
    """Engines the registry makes in a test process share one dialect per kind of database, and
    with it the cache of compiled statements (whose key holds the dialect). Each test gets new
    engines, which would otherwise compile every statement again: that costs more than most
    tests. A served registry makes its engines once and keeps them, warm caches included."""
    shared: dict[tuple[type[Dialect], str], tuple[Dialect, Any]] = {}
    per_engine = {"connect_args", "pool_pre_ping", "pool_size", "pool_timeout", "max_overflow"}

    def create_engine_sharing(url: Any, **options: Any) -> Engine:
        engine = create(url, **options)
        # Options the dialect itself takes (an isolation level, say) give a kind of their own.
        kind = (
            type(engine.dialect),
            repr(sorted((k, v) for k, v in options.items() if k not in per_engine)),
        )
        # A dialect learns the server's version on its engine's first connection: share one
        # that has, else let this engine's become the one shared once it has.
        if kind in shared and shared[kind][0].server_version_info is not None:
            engine.dialect, engine._compiled_cache = shared[kind]
            engine.pool._dialect = engine.dialect
        else:
            shared[kind] = engine.dialect, engine._compiled_cache
        return engine

    return create_engine_sharing


registry_database.create_engine = _sharing_compiled_statements(create_engine)  # type: ignore[attr-defined]


TOKENS = pytest.StashKey[dict[str, str]]()
"""The tokens a test's database came with (from a template holding the `tokens` users)."""


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


Fingerprint = dict[str, tuple[int, int]]


@dataclass
class Contents:
    """What a template holds: its tables and migration head, every row, each sequence's value,
    and each table's fingerprint (see `_fingerprint`)."""

    tables: set[str]
    head: str
    rows: dict[str, tuple[Table, list[dict[str, Any]]]]
    sequences: dict[str, int | None]
    fingerprint: Fingerprint


def _shape(connection: Connection) -> tuple[set[str], str]:
    tables = set(
        connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
    )
    head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return tables, head


def _fingerprint(connection: Connection) -> Fingerprint:
    """Each table's row count and newest row version (`xmin`, the id of the transaction that
    wrote the row): any insert, update or delete since changes one of the two."""
    query = " UNION ALL ".join(
        f"SELECT '{table.name}', count(*), coalesce(max(xmin::text::bigint), 0) "
        f'FROM "{table.name}"'
        for table in metadata.sorted_tables
    )
    return {name: (count, newest) for name, count, newest in connection.execute(text(query))}


def _sequences(connection: Connection) -> dict[str, int | None]:
    return dict(connection.execute(text("SELECT sequencename, last_value FROM pg_sequences")).all())


@dataclass
class Held:
    """A pooled database's own connection, kept open while tests use the database (a new
    PostgreSQL connection costs tens of milliseconds), and its fingerprint when its rows were
    last those of its template."""

    engine: Engine
    connection: Connection
    pid: int
    clean: Fingerprint

    @classmethod
    def open(cls, name: str, clean: Fingerprint) -> Held:
        engine = create_engine(normalise_url(postgres_url(name)), poolclass=NullPool)
        connection = engine.connect()
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.commit()
        return cls(engine, connection, pid, clean)

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


class DatabasePool:
    """Test databases used again: when a test gives a database back with its schema untouched,
    the tables it changed get their template's rows back, instead of a new copy of the template
    (CREATE DATABASE copies the catalogs too: a few tenths of a second each). Most tests change
    a few tables, so most of the template's rows are never touched."""

    def __init__(self, admin: Engine, dropper: ThreadPoolExecutor) -> None:
        self.admin, self.dropper = admin, dropper
        self.contents: dict[str, Contents] = {}
        self.free: dict[str, list[str]] = {}  # by template
        self.held: dict[str, Held] = {}
        with admin.connect() as connection:
            # Triggers (and so foreign keys and cascades) off while rows are put back, table by
            # table; only a superuser may do that, anyone else puts back every table in order.
            self.replica = bool(
                connection.execute(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                ).scalar()
            )

    def _contents(self, template: str) -> Contents:
        if template not in self.contents:
            engine = make_engine(postgres_url(template))
            with engine.connect() as connection:
                tables, head = _shape(connection)
                rows = {
                    table.name: (
                        table,
                        [dict(row._mapping) for row in connection.execute(table.select())],
                    )
                    for table in metadata.sorted_tables
                }
                contents = Contents(
                    tables, head, rows, _sequences(connection), _fingerprint(connection)
                )
            engine.dispose()
            self.contents[template] = contents
        return self.contents[template]

    def take(self, template: str) -> str:
        """A database holding `template`'s rows (put back when it was given back)."""
        contents = self._contents(template)
        free = self.free.setdefault(template, [])
        if free:
            return free.pop()
        name = create_database(self.admin, template=template)
        with self.admin.connect() as connection:
            # Losing the last commits in a crash does not matter here; waiting for the disk does.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        self.held[name] = Held.open(name, contents.fingerprint)  # a copy: the same row versions
        return name

    def give_back(self, name: str, template: str) -> None:
        """Put the template's rows back and keep the database for the next test, or drop it
        when the test changed its schema (a migration test) or broke the connection."""
        held = self.held[name]
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> :held"
                ),
                {"name": name, "held": held.pid},
            )
        contents = self._contents(template)
        try:
            with held.connection.begin():
                kept = _shape(held.connection) == (contents.tables, contents.head)
                if kept:
                    self._put_back(held, contents)
        except Exception:  # no alembic_version left, for one, or the connection was cut
            kept = False
        if kept:
            self.free.setdefault(template, []).append(name)
        else:
            del self.held[name]
            held.close()
            self.dropper.submit(drop_database, self.admin, name)

    def _put_back(self, held: Held, contents: Contents) -> None:
        connection = held.connection
        now = _fingerprint(connection)
        changed = [table for table in contents.rows if now[table] != held.clean[table]]
        if changed:
            if self.replica:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                # Most writes only add rows (the audit trail, for one): cut those off.
                changed = [t for t in changed if not self._only_added(held, contents, t)]
            else:
                changed = list(contents.rows)
            # DELETE, not TRUNCATE: a few rows go faster than new files for every table.
            for table in reversed(changed):
                connection.execute(contents.rows[table][0].delete())
            for table in changed:
                model, rows = contents.rows[table]
                if rows:
                    connection.execute(model.insert(), rows)
            held.clean = _fingerprint(connection)
        now_sequences = _sequences(connection)
        calls = ", ".join(
            f"setval('{sequence}', {value or 1}, {value is not None})"
            for sequence, value in contents.sequences.items()
            if now_sequences.get(sequence) != value
        )
        if calls:
            connection.execute(text(f"SELECT {calls}"))

    @staticmethod
    def _only_added(held: Held, contents: Contents, table: str) -> bool:
        """Delete the rows added to `table` past its template's, when those are all still there
        unchanged (as many with an id up to the template's last and a row version no newer than
        when they were put back); whether it did."""
        model, rows = contents.rows[table]
        if [column.name for column in model.primary_key.columns] != ["id"]:
            return False
        top = max((row["id"] for row in rows), default=0)
        kept = held.connection.execute(
            text(
                f'SELECT count(*) FROM "{table}" WHERE id <= :top AND xmin::text::bigint <= :newest'
            ),
            {"top": top, "newest": held.clean[table][1]},
        ).scalar_one()
        if kept != len(rows):
            return False
        held.connection.execute(text(f'DELETE FROM "{table}" WHERE id > :top'), {"top": top})
        return True

    def drop_all(self) -> None:
        for names in self.free.values():
            for name in names:
                self.held.pop(name).close()
                drop_database(self.admin, name)


@pytest.fixture(scope="session")
def postgres_pool(
    postgres_admin: Engine,
    postgres_dropper: ThreadPoolExecutor,
    postgres_seeded_template: str,
    postgres_nations_template: str,
    postgres_seeded_tokens_template: tuple[str, dict[str, str]],
) -> Iterator[DatabasePool]:
    """After the templates (so its databases are dropped before them)."""
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


def _load(kind: str) -> Callable[[Session], object]:
    """What a template of `kind` holds beyond the schema."""
    if kind == "nations":
        return lambda session: load_nations(session, actor="fixture")
    if kind == "rated":
        return _seed_and_rates
    return load_first_data_set


def _seed_and_rates(session: Session) -> None:
    """The first data set and the ECB's rates, as `registry seed` loads them."""
    load_first_data_set(session)
    load_packaged(session, actor="seed")


def _postgres_loaded_template(admin: Engine, template: str, kind: str) -> Iterator[str]:
    name = create_database(admin, template=template)
    engine = make_engine(postgres_url(name))
    with unit_of_work(engine) as session:
        _load(kind)(session)
    engine.dispose()
    yield name
    drop_database(admin, name)


@pytest.fixture(scope="session")
def postgres_seeded_template(postgres_admin: Engine, postgres_template: str) -> Iterator[str]:
    yield from _postgres_loaded_template(postgres_admin, postgres_template, "seeded")


@pytest.fixture(scope="session")
def postgres_rated_template(postgres_admin: Engine, postgres_template: str) -> Iterator[str]:
    yield from _postgres_loaded_template(postgres_admin, postgres_template, "rated")


@pytest.fixture(scope="session")
def postgres_nations_template(postgres_admin: Engine, postgres_template: str) -> Iterator[str]:
    yield from _postgres_loaded_template(postgres_admin, postgres_template, "nations")


def _add_tokens(engine: Engine) -> dict[str, str]:
    """Users named viewer, editor and admin, each with a bearer token (returned by role)."""
    found = {}
    with unit_of_work(engine) as session:
        for role in ("viewer", "editor", "admin"):
            add_user(session, username=role, role=role, actor="fixture")
            found[role] = create_token(session, username=role, actor="fixture")[1]
    return found


@pytest.fixture(scope="session")
def postgres_seeded_tokens_template(
    postgres_admin: Engine, postgres_seeded_template: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """The seeded template with the `tokens` fixture's users, and their tokens."""
    name = create_database(postgres_admin, template=postgres_seeded_template)
    engine = make_engine(postgres_url(name))
    found = _add_tokens(engine)
    engine.dispose()
    yield name, found
    drop_database(postgres_admin, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _sqlite_loaded_template(empty: Path, kind: str) -> Path:
    path = empty.with_name(f"{kind}.db")
    shutil.copyfile(empty, path)
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(engine) as session:
        _load(kind)(session)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_seeded_template(sqlite_template: Path) -> Path:
    return _sqlite_loaded_template(sqlite_template, "seeded")


@pytest.fixture(scope="session")
def sqlite_rated_template(sqlite_template: Path) -> Path:
    return _sqlite_loaded_template(sqlite_template, "rated")


@pytest.fixture(scope="session")
def sqlite_nations_template(sqlite_template: Path) -> Path:
    return _sqlite_loaded_template(sqlite_template, "nations")


@pytest.fixture(scope="session")
def sqlite_seeded_tokens_template(sqlite_seeded_template: Path) -> tuple[Path, dict[str, str]]:
    """The seeded template with the `tokens` fixture's users, and their tokens."""
    path = sqlite_seeded_template.with_name("seeded_tokens.db")
    shutil.copyfile(sqlite_seeded_template, path)
    engine = make_engine(f"sqlite:///{path}")
    found = _add_tokens(engine)
    engine.dispose()
    return path, found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked `one_database` runs on SQLite only: its PostgreSQL twin is deselected (what
    it checks, a page's markup or a printed layout, does not depend on the database)."""
    twins = [
        item
        for item in items
        if item.get_closest_marker("one_database")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("backend") == "postgres"  # type: ignore[attr-defined]
    ]
    if twins:
        config.hook.pytest_deselected(items=twins)
        items[:] = [item for item in items if item not in twins]
    # The longest tests first, so that neither worker is left running one alone at the end.
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST)


LONGEST = {
    "tests/test_api_schema.py", "tests/test_ui_browser.py", "tests/test_import_server.py",
    "tests/test_api_load.py", "tests/test_serve.py", "tests/test_history_model.py",
}  # fmt: skip
"""Test files whose tests take seconds each (schemathesis, a browser, served registries)."""


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
    backend: str, request: pytest.FixtureRequest, path: Path, *, kind: str = "empty"
) -> Iterator[Engine]:
    """A migrated database of its own, copied from a template: empty, holding the nations
    ("nations") or the first data set ("seeded")."""
    template_fixture = f"{backend}_template" if kind == "empty" else f"{backend}_{kind}_template"
    template = request.getfixturevalue(template_fixture)
    if isinstance(template, tuple):  # a template holding the `tokens` fixture's users
        template, request.node.stash[TOKENS] = template
    if backend == "sqlite":
        shutil.copyfile(template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    pool: DatabasePool = request.getfixturevalue("postgres_pool")
    name = pool.take(template)
    engine = make_engine(postgres_url(name))
    yield engine
    engine.dispose()
    pool.give_back(name, template)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database: empty, or holding what the test asks for with `seeded` (the
    first data set) or `nations`, copied from a template loaded once per run (much faster)."""
    names = request.fixturenames
    kind = "seeded" if "seeded" in names else "nations" if "nations" in names else "empty"
    if kind == "seeded" and "tokens" in names:
        kind = "seeded_tokens"
    if "rated" in names:  # the first data set and the ECB's rates (a quarter million rows)
        kind = "rated"
    yield from fresh_engine(backend, request, tmp_path / "registry.db", kind=kind)


@pytest.fixture
def second_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Another fresh, migrated, empty database on the same backend (for copies between two)."""
    yield from fresh_engine(backend, request, tmp_path / "second.db")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the fresh database; tests commit when they want a change to stay."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def nations(engine: Engine) -> None:
    """The 32 Allies and the partners in the database (loaded by actor "fixture"): `engine` sees
    this fixture's name and copies a template holding them."""


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: compared before and after a refused write."""
    rows = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            # A token's last use is noted when a request carries it (registry/token_use.py):
            # not part of what a write changes.
            shown = [c for c in table.columns if (name, c.name) != ("api_token", "last_used_at")]
            query = select(*shown).order_by(*table.primary_key.columns)
            if name == "exchange_rate":  # a quarter million rows: their count, last id and day
                c = table.columns
                query = select(func.count(), func.max(c.id), func.max(c.day), func.min(c.day))
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
def rated(engine: Engine) -> None:
    """The first data set and the ECB's exchange rates, as `registry seed` loads both."""


@pytest.fixture
def tokens(engine: Engine, request: pytest.FixtureRequest) -> dict[str, str]:
    """A bearer token for a viewer, an editor and an admin (users named after their role): on a
    seeded database they come with its template, else they are added."""
    if TOKENS in request.node.stash:
        given: dict[str, str] = request.node.stash[TOKENS]
        return given
    return _add_tokens(engine)


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
def client_with(shared_app: Litestar) -> Callable[..., AbstractContextManager[TestClient[Any]]]:
    """`client_with(settings)`: a client of the shared application under other settings than the
    test's (those read per request: public reads, cookies, time-outs; not the body limit, which
    is fixed when the application is built)."""

    @contextmanager
    def connect(
        settings: Settings, base_url: str = "http://testserver.local"
    ) -> Iterator[TestClient[Any]]:
        use_settings(shared_app, settings)
        with TestClient(shared_app, base_url=base_url) as test_client:
            yield test_client

    return connect


@pytest.fixture
def staff(engine: Engine) -> None:
    """Users named viewer, editor and admin who sign in to the staff pages with passwords."""
    from tests.staff import add_staff

    add_staff(engine)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(
    base: str, process: subprocess.Popen[bytes], output: Callable[[], str] = str, limit: float = 60
) -> None:
    """Poll `/health` until the server started in `process` answers 200 (not a race: it waits
    for the answer, `limit` seconds at most). One client for all the polls: a new one loads the
    system's certificates each time, which costs more than the poll."""
    deadline = time.monotonic() + limit
    with httpx.Client(timeout=1) as probe:
        while True:
            try:
                if probe.get(f"{base}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"the server did not start\n{output()}")
            time.sleep(0.1)


@pytest.fixture
def served_process(
    app_settings: Settings, seeded: None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The served application (uvicorn, as `registry serve` runs it) on the seeded database:
    its address and its process (to signal)."""
    port = free_port()
    # A write waits for the lock as long as a test may hold it (the SIGTERM test holds it while
    # the server handles the signal), rather than answering 503 after the usual 5 s.
    env = os.environ | {"REGISTRY_DATABASE_URL": app_settings.database_url,
                        "REGISTRY_DB_TIMEOUT": "60"}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "api.app:serve_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
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
