"""Migrations build exactly the models' schema, on both databases, and keep data when upgrading."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from registry.database import make_engine, unit_of_work
from registry.migrate import current_revision, downgrade, head_revision, upgrade
from registry.schema import metadata
from seed.load import load_first_data_set
from tests.conftest import dump


def test_migrations_build_exactly_the_models_schema(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_keeps_the_data(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO nation (code, name, kind, nato_member_since) "
                 "VALUES ('NLD', 'Netherlands', 'ally', '1949-04-04')")
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO programme (slug, name, category, status, version) "
                 "VALUES ('mmf', 'MMF', 'multinational-fleet', 'active', 1)")
        )  # fmt: skip
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM programme")).scalars().all() == ["mmf"]
        assert connection.execute(text("SELECT code FROM nation")).scalars().all() == ["NLD"]
    engine.dispose()


def test_downgrading_a_seeded_database_and_upgrading_again_keeps_its_data(engine):
    with unit_of_work(engine) as session:
        load_first_data_set(session)
    before = dump(engine)
    downgrade(engine, "0001")  # drops the user tables, which the seed leaves empty
    upgrade(engine)
    after = dump(engine)
    # The data version is no data but a counter for readers' caches: made anew, it starts at
    # the number of changes, which is never below the transactions that made them.
    assert after.pop("data_version")[0][1] >= before.pop("data_version")[0][1]
    assert after == before


def test_downgrade_to_nothing_and_back(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
