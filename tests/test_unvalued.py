"""How many contracts have no published value: the programme detail's
`contracts_without_value` beside `contract_totals`, and a line under the report's totals (the
totals alone said EUR 265 M for six contracts, five of them without a value)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from registry.amendments import amend_contract, void_contract
from registry.audit import ChangeSet
from registry.contracts import add_contract
from registry.database import unit_of_work
from registry.views import programme_view
from reports import documents
from reports.frames import load_frames
from tests.factories import ACTOR, make_programme
from tests.test_reports import Page

SIGNED = ("2016-07-29", "2019-03", "2020", "2021-06-01")


@pytest.fixture
def contracts(engine) -> list[int]:
    """A programme with four contracts, signed 2016 to 2021; only the first has a value."""
    with unit_of_work(engine) as session:
        make_programme(session)
        made = [
            add_contract(session, programme="mmf", title=f"Contract {n}", kind="acquisition",
                         signed=signed, actor=ACTOR,
                         **({"amount": "265000000", "currency": "EUR"} if n == 0 else {}))
            for n, signed in enumerate(SIGNED)
        ]  # fmt: skip
        return [c.id for c in made if c.id is not None]


def _detail(client, **params: str) -> tuple[list[dict[str, str]], int]:
    answer = client.get("/api/programmes/mmf", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["contract_totals"], body["contracts_without_value"]


def test_the_detail_counts_the_contracts_without_a_value_beside_the_totals(client, contracts):
    assert _detail(client) == ([{"amount": "265000000.00", "currency": "EUR"}], 3)
    # Of the contracts signed by then (a date known to the year counts from its first day).
    assert _detail(client, as_of="2019-12-31") == ([{"amount": "265000000.00", "currency": "EUR"}], 1)  # fmt: skip
    assert _detail(client, as_of="2016-01-01") == ([], 0)


def test_a_value_given_later_or_a_void_leaves_the_count(client, engine, contracts):
    with unit_of_work(engine) as session:
        amend_contract(session, contract_id=contracts[1], effective="2024-01-01",
                       amount="1000", currency="USD", actor=ACTOR)  # fmt: skip
        void_contract(session, contract_id=contracts[2], reason="a duplicate", actor=ACTOR)
    assert _detail(client) == (
        [{"amount": "265000000.00", "currency": "EUR"}, {"amount": "1000.00", "currency": "USD"}],
        1,
    )
    # Before the amendment held, the second had no value yet.
    assert _detail(client, as_of="2023-12-31")[1] == 2


def test_the_read_model_counts_as_the_registry_knew_it(engine, contracts):
    with unit_of_work(engine) as session:
        void_contract(session, contract_id=contracts[3], reason="a duplicate", actor=ACTOR)
    with Session(engine) as session:
        voided_in = session.exec(select(func.max(ChangeSet.id))).one()
        assert voided_in is not None
        today = date.today()
        assert programme_view(session, "mmf", today).contracts_without_value == 2
        assert programme_view(session, "mmf", today, voided_in - 1).contracts_without_value == 3


def _words(engine, on: date) -> str:
    frames = load_frames(engine)
    return Page(documents.programme_report(frames, "mmf", documents.stamp(frames, on))).words


def test_the_report_says_how_many_contracts_have_no_published_value(engine, contracts):
    words = _words(engine, date(2026, 1, 1))
    assert "Total in EUR (1 contract) EUR 265,000,000.00" in words
    assert "3 of 4 contracts have no published value; the totals leave them out." in words
    words = _words(engine, date(2019, 12, 31))
    assert "1 of 2 contracts has no published value; the totals leave it out." in words


def test_the_report_says_nothing_when_every_contract_has_a_value(engine, contracts):
    words = _words(engine, date(2017, 1, 1))
    assert "Total in EUR (1 contract)" in words
    assert "no published value" not in words


def test_the_report_says_so_when_no_contract_has_a_value(engine):
    with unit_of_work(engine) as session:
        make_programme(session)
        add_contract(session, programme="mmf", title="Spares", kind="support", actor=ACTOR)
    words = _words(engine, date(2026, 1, 1))
    assert "1 of 1 contract has no published value." in words
    assert "Total in" not in words
