"""Contracts: integer minor units and ISO 4217 codes; totals per currency; every refusal."""

import pytest

from registry.amendments import contract_totals
from registry.contracts import add_contract, programme_contracts
from registry.errors import Conflict, InvalidValue, NotFound
from tests.factories import ACTOR, make_organisation, make_programme


@pytest.fixture
def mmf(session, nations):
    make_organisation(session)
    make_organisation(session, slug="airbus", name="Airbus Defence and Space", kind="contractor")
    make_programme(session)
    session.commit()


def contract(session, **fields):
    values = {"programme": "mmf", "title": "Two A330 MRTT", "kind": "acquisition"} | fields
    return add_contract(session, actor=ACTOR, **values)


def test_contract_value_is_stored_in_minor_units(session, mmf):
    row = contract(
        session, reference="mmf-2023", signed="2023-03-28", amount="265000000.00",
        currency="eur", contractor="airbus", awarding_organisation="nspa", quantity=1,
        item="A330 MRTT",
    )  # fmt: skip
    session.commit()
    assert (row.value_minor, row.currency, row.amount) == (26_500_000_000, "EUR", "265000000.00")
    assert row.signed_on is not None
    assert row.signed_on.isoformat() == "2023-03-28"
    assert [c.reference for c in programme_contracts(session, "mmf")] == ["mmf-2023"]


def test_a_contract_may_have_no_published_value(session, mmf):
    row = contract(session, signed="2016-07")
    assert (row.value_minor, row.currency, row.amount) == (None, None, None)


def test_totals_are_summed_per_currency(session, mmf):
    make_programme(session, slug="munitions", name="Munitions", category="framework-contracts")
    contract(session, amount="100.10", currency="EUR")
    contract(session, amount="0.90", currency="EUR")
    contract(session, amount="5", currency="USD")
    contract(session)  # no value: not in the totals
    contract(session, programme="munitions", amount="4700000000", currency="EUR")
    session.commit()
    assert contract_totals(session, "mmf") == [("EUR", 10_100), ("USD", 500)]
    assert contract_totals(session) == [("EUR", 470_000_010_100), ("USD", 500)]
    assert contract_totals(session, "munitions") == [("EUR", 470_000_000_000)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "-1", "currency": "EUR"}, "amount"),
        ({"amount": "1.005", "currency": "EUR"}, "amount"),
        ({"amount": 99.5, "currency": "EUR"}, "amount"),
        ({"amount": "lots", "currency": "EUR"}, "amount"),
        ({"amount": "10", "currency": "EURO"}, "currency"),
        ({"amount": "10", "currency": "XYZ"}, "currency"),
        ({"amount": "10"}, "currency"),
        ({"currency": "EUR"}, "amount"),
        ({"kind": "gift"}, "kind"),
        ({"title": " "}, "title"),
        ({"signed": "2023-02-30"}, "signed"),
        ({"contractor": "acme"}, "contractor"),
        ({"awarding_organisation": "acme"}, "awarding_organisation"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "two"}, "quantity"),
    ],
)
def test_bad_contracts_are_refused(mmf, refused, fields, field):
    error = refused(InvalidValue, lambda s: contract(s, **fields))
    assert error.status == 422
    assert error.fields == [field]


def test_a_reference_is_unique_within_its_programme(session, mmf, refused):
    contract(session, reference="mmf-2016")
    make_programme(session, slug="other", name="Other", category="innovation")
    contract(session, programme="other", reference="mmf-2016")  # another programme: fine
    session.commit()
    error = refused(Conflict, lambda s: contract(s, reference="mmf-2016"))
    assert error.status == 409
    assert error.fields == ["reference"]


def test_contract_for_unknown_programme_is_not_found(nations, refused):
    error = refused(NotFound, lambda s: contract(s, programme="nope"))
    assert error.fields == ["programme"]
