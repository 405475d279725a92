"""`registry organisation add|edit|list`: the registry's own rules, each change in the audit
trail under the actor given; a refusal is `error: FIELD: message`, exit 1, nothing written."""

import pytest
from sqlmodel import Session, col, select

from registry.audit import Change
from registry.database import unit_of_work
from registry.organisations import get_organisation, update_organisation
from tests.conftest import dump
from tests.test_cli_errors import errors, run, url_of

pytestmark = pytest.mark.usefixtures("seeded")


def changes_of(engine, slug: str) -> list[Change]:
    with Session(engine) as session:
        query = select(Change).where(Change.entity == "organisation", Change.key == slug)
        return list(session.exec(query.order_by(col(Change.id))))


def test_add_records_the_organisation_and_its_change(engine):
    result = run(url_of(engine), "organisation", "add", "leonardo", "--name", "Leonardo",
                 "--kind", "contractor", "--country", "Italy")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "added leonardo (contractor, ITA): Leonardo\n"
    with Session(engine) as session:
        made = get_organisation(session, "leonardo")
        assert (made.name, made.kind, made.country, made.version) == (
            "Leonardo", "contractor", "ITA", 1,
        )  # fmt: skip
    (change,) = changes_of(engine, "leonardo")
    assert (change.actor, change.action, change.before) == ("cli", "create", None)


def test_edit_changes_only_the_options_given_under_the_actor_given(engine):
    with Session(engine) as session:
        was = get_organisation(session, "nspa")
    result = run(url_of(engine), "organisation", "edit", "nspa", "--country", "BEL",
                 "--actor", "alice")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("changed nspa (")
    with Session(engine) as session:
        now = get_organisation(session, "nspa")
    assert (now.name, now.kind, now.country, now.version) == (
        was.name, was.kind, "BEL", was.version + 1,
    )  # fmt: skip
    (change,) = [c for c in changes_of(engine, "nspa") if c.action == "update"]
    assert change.actor == "alice"
    assert change.before
    assert change.after
    assert (change.before["country"], change.after["country"]) == (was.country, "BEL")


def test_an_empty_country_takes_it_away(engine):
    with unit_of_work(engine) as session:  # the first data set gives no organisation a country
        update_organisation(session, slug="nspa", country="LUX", actor="test")
    result = run(url_of(engine), "organisation", "edit", "nspa", "--country", "")
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert get_organisation(session, "nspa").country is None
    (change,) = [c for c in changes_of(engine, "nspa") if c.actor == "cli"]
    assert change.before
    assert change.after
    assert (change.before["country"], change.after["country"]) == ("LUX", None)


def test_an_edit_to_the_values_held_writes_nothing(engine):
    with Session(engine) as session:
        name = get_organisation(session, "nspa").name
    before = dump(engine)
    result = run(url_of(engine), "organisation", "edit", "nspa", "--name", name)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("nothing to change: nspa")
    assert dump(engine) == before


def test_list_shows_every_organisation_or_one_kind(engine):
    every = run(url_of(engine), "organisation", "list")
    assert every.exit_code == 0, every.output
    header, *lines = every.output.splitlines()
    assert header.split() == ["slug", "kind", "country", "name"]
    slugs = [line.split()[0] for line in lines]
    assert "nspa" in slugs
    assert "airbus-defence-and-space" in slugs
    agencies = run(url_of(engine), "organisation", "list", "--kind", "agency")
    assert {line.split()[1] for line in agencies.output.splitlines()[1:]} == {"agency"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["add", "Leonardo SpA", "--name", "Leonardo", "--kind", "contractor"], "slug"),
        (["add", "leonardo", "--name", " ", "--kind", "contractor"], "name"),
        (["add", "leonardo", "--name", "Leonardo", "--kind", "bank"], "kind"),
        (["add", "leonardo", "--name", "Leonardo", "--kind", "contractor", "--country", "ZZ"],
         "country"),
        (["add", "nspa", "--name", "Again", "--kind", "agency"], "slug"),
        (["add", "leonardo", "--kind", "contractor"], "name"),
        (["edit", "nspa", "--kind", "club"], "kind"),
        (["edit", "nspa", "--name", ""], "name"),
        (["edit", "nobody", "--name", "X"], "slug"),
        (["list", "--kind", "club"], "kind"),
    ],
)  # fmt: skip
def test_a_refusal_names_the_field_and_writes_nothing(engine, args, field):
    before = dump(engine)
    [line] = errors(run(url_of(engine), "organisation", *args))
    assert line.startswith(f"error: {field}: "), line
    assert dump(engine) == before
