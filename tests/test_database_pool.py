"""The PostgreSQL test databases are used again: what a test changed must be gone for the next."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from registry.database import make_engine
from tests.conftest import DatabasePool, dump, postgres_url

pytestmark = pytest.mark.postgres


def test_a_database_given_back_holds_the_template_again(
    postgres_pool: DatabasePool, postgres_seeded_template: str
) -> None:
    template = make_engine(postgres_url(postgres_seeded_template))
    expected = dump(template)
    template.dispose()

    name = postgres_pool.take(postgres_seeded_template)
    engine = make_engine(postgres_url(name))
    with engine.begin() as connection:
        # An update, a delete with what hangs on it, an insert that takes a sequence's next id.
        connection.execute(text("UPDATE programme SET name = 'Renamed' WHERE slug = 'mmf'"))
        connection.execute(text("DELETE FROM citation"))
        connection.execute(text("INSERT INTO source (key, title) VALUES ('new', 'New')"))
    assert dump(engine) != expected
    engine.dispose()
    postgres_pool.give_back(name, postgres_seeded_template)

    again = postgres_pool.take(postgres_seeded_template)
    assert again == name, "the database was not used again"
    engine = make_engine(postgres_url(again))
    assert dump(engine) == expected
    with engine.begin() as connection:
        # The sequence was put back too: the next source gets the id the template's next would.
        new_id = connection.execute(
            text("INSERT INTO source (key, title) VALUES ('new', 'New') RETURNING id")
        ).scalar_one()
    assert new_id == max(row[0] for row in expected["source"]) + 1
    engine.dispose()
    postgres_pool.give_back(again, postgres_seeded_template)


def test_a_database_taken_for_another_template_holds_that_one(
    postgres_pool: DatabasePool, postgres_template: str, postgres_seeded_template: str
) -> None:
    seeded = postgres_pool.take(postgres_seeded_template)
    postgres_pool.give_back(seeded, postgres_seeded_template)
    name = postgres_pool.take(postgres_template)
    engine: Engine = make_engine(postgres_url(name))
    template = make_engine(postgres_url(postgres_template))
    assert dump(engine) == dump(template)
    assert dump(engine)["programme"] == []
    engine.dispose()
    template.dispose()
    postgres_pool.give_back(name, postgres_template)
