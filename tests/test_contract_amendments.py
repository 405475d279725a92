"""Contract amendments: a new value, title or quantity from a date; the signed values stay, the
value on a date is the latest amendment in force then, and reads `as_known_on` before one
answer without it. Refusals name their field and leave the database as it was."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from tests.conftest import dump
from tests.test_api_writes import PROBLEM_JSON, editor, send
from tests.test_history import newest_change, recorded_at

pytestmark = pytest.mark.usefixtures("seeded")

SLUG = "nspa-munitions-frameworks"
CONTRACTS = f"/api/programmes/{SLUG}/contracts"


def contract(client: TestClient[Any], **params: str) -> dict[str, Any]:
    response = client.get(CONTRACTS, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items[0]


def totals(client: TestClient[Any], **params: str) -> list[dict[str, str]]:
    response = client.get(f"/api/programmes/{SLUG}", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, str]] = response.json()["contract_totals"]
    return found


def amend(client, tokens, id_, body, **headers):
    return send(client, "PATCH", f"/api/contracts/{id_}", body, **editor(tokens, **headers))


def test_an_amendment_holds_from_its_date_and_the_signed_value_before(client, tokens):
    signed = contract(client)
    assert (signed["signed"], signed["value"]) == ("2025-01-01/2025-06-24", {"amount": "4700000000.00",
                                                            "currency": "EUR"})  # fmt: skip
    known_before = recorded_at(client, newest_change(client)["change_set"])
    response = amend(client, tokens, signed["id"],
                     {"effective": "2026-01", "value": {"amount": "5000000000", "currency": "EUR"},
                      "note": "framework ceiling raised"}, **{"If-Match": '"1"'})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["value"]["amount"] == "5000000000.00"
    assert response.headers["etag"] == '"2"'
    assert contract(client, as_of="2025-12-31")["value"]["amount"] == "4700000000.00"
    assert contract(client, as_of="2026-01-01")["value"]["amount"] == "5000000000.00"
    assert totals(client, as_of="2025-12-31") == [{"amount": "4700000000.00", "currency": "EUR"}]
    assert totals(client, as_of="2026-02") == [{"amount": "5000000000.00", "currency": "EUR"}]
    # What the registry said before the amendment was recorded.
    assert totals(client, as_of="2026-02", as_known_on=known_before) == [
        {"amount": "4700000000.00", "currency": "EUR"}
    ]
    assert contract(client, as_known_on=known_before)["value"]["amount"] == "4700000000.00"
    listed = client.get(f"/api/contracts/{signed['id']}/amendments").json()
    assert [(a["effective"], a["value"]["amount"], a["correction"]) for a in listed] == [
        ("2026-01", "5000000000.00", False)
    ]
    assert client.get(f"/api/contracts/{signed['id']}/amendments",
                      params={"as_known_on": known_before}).json() == []  # fmt: skip
    change = newest_change(client)
    assert (change["action"], change["entity"], change["before"]["value_minor"]) == (
        "update", "contract", 470_000_000_000,
    )  # fmt: skip


def test_a_value_filter_and_sort_read_the_amended_value(client, tokens):
    signed = contract(client)
    assert (
        amend(
            client,
            tokens,
            signed["id"],
            {"value": {"amount": "1", "currency": "EUR"}, "correction": True},
        ).status_code
        == 200
    )
    every = client.get("/api/contracts", params={"min_value": "2", "limit": "500"}).json()
    assert signed["id"] not in [c["id"] for c in every["items"]]
    # A correction holds from the signing: the value as of any date after it is the new one.
    assert totals(client, as_of="2025-12-31") == [{"amount": "1.00", "currency": "EUR"}]
    assert newest_change(client)["action"] == "correct"


def test_a_new_title_and_quantity_leave_the_value_alone(client, tokens):
    signed = contract(client)
    response = amend(
        client,
        tokens,
        signed["id"],
        {"title": "Munitions frameworks, phase 2", "quantity": 3, "effective": "2026-03-01"},
    )
    assert response.status_code == 200, response.text
    now = contract(client)
    assert (now["title"], now["quantity"], now["value"]) == (
        "Munitions frameworks, phase 2", 3, signed["value"],
    )  # fmt: skip
    assert contract(client, as_of="2026-02-28")["title"] == signed["title"]


@pytest.mark.parametrize(
    ("target", "body", "headers", "status", "field"),
    [
        pytest.param(999999, {"quantity": 2}, {}, 404, "id", id="unknown-contract"),
        pytest.param(None, {"note": "nothing new"}, {}, 422, "value", id="nothing-amended"),
        pytest.param(None, {"quantity": 2, "effective": "2024-12"}, {}, 422, "effective",
                     id="before-signing"),
        pytest.param(None, {"value": {"amount": "1", "currency": "ZZZ"}}, {}, 422,
                     "value.currency", id="bad-currency"),
        pytest.param(None, {"value": {"amount": "1.234", "currency": "EUR"}}, {}, 422,
                     "value.amount", id="too-many-decimals"),
        pytest.param(None, {"quantity": 2}, {"If-Match": '"5"'}, 412, None, id="stale"),
        pytest.param(None, {"quantity": 0}, {}, 422, "quantity", id="zero-quantity"),
        pytest.param(None, {"title": "  ", "quantity": 2}, {}, 422, "title", id="blank-title"),
    ],
)  # fmt: skip
def test_amendments_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    target: int | None,
    body: dict[str, Any],
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    id_ = target or contract(client)["id"]
    before = dump(engine)
    response = amend(client, tokens, id_, body, **headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert dump(engine) == before


def test_a_viewer_cannot_amend(engine, client, tokens):
    id_ = contract(client)["id"]
    before = dump(engine)
    response = send(client, "PATCH", f"/api/contracts/{id_}", {"quantity": 2},
                    Authorization=f"Bearer {tokens['viewer']}")  # fmt: skip
    assert response.status_code == 403
    assert dump(engine) == before


def test_the_diff_lists_amendments_effective_or_recorded_in_between(client, tokens):
    signed = contract(client)
    known_before = recorded_at(client, newest_change(client)["change_set"])
    assert (
        amend(client, tokens, signed["id"], {"quantity": 4, "effective": "2026-02"}).status_code
        == 200
    )
    diff = client.get(
        f"/api/programmes/{SLUG}/diff", params={"from": "2026-01-31", "to": "2026-02-28"}
    )
    assert [(a["reference"], a["amendment"]["quantity"]) for a in diff.json()["amended"]] == [
        ("nspa-munitions-2025", 4)
    ]
    outside = client.get(
        f"/api/programmes/{SLUG}/diff", params={"from": "2026-02-01", "to": "2026-03-01"}
    )
    assert outside.json()["amended"] == []
    learnt = client.get(f"/api/programmes/{SLUG}/diff", params={"known_from": known_before})
    assert [a["contract"] for a in learnt.json()["amended"]] == [signed["id"]]


def test_one_contract_reads_on_both_axes(client, tokens):
    signed = contract(client)
    path = f"/api/contracts/{signed['id']}"
    assert client.get(path).json() == signed
    assert client.get(path).headers["etag"] == '"1"'
    known_before = recorded_at(client, newest_change(client)["change_set"])
    assert (
        amend(client, tokens, signed["id"], {"quantity": 9, "effective": "2026-01"}).status_code
        == 200
    )
    assert client.get(path).json()["quantity"] == 9
    assert client.get(path, params={"as_of": "2025-12-31"}).json()["quantity"] is None
    assert client.get(path, params={"as_known_on": known_before}).json()["quantity"] is None
    for params in ({"as_of": "2024-12-31"}, {"as_known_on": "2000-01-01"}):  # not signed / known
        assert client.get(path, params=params).status_code == 404
    for unknown in ("999999", "99999999999"):
        missing = client.get(f"/api/contracts/{unknown}")
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["field"] == "id"


def test_reports_show_each_contract_at_its_value_on_their_date(client, tokens):
    """Guards a fixed bug: the reports showed today's amended value at any `as_of`."""
    signed = contract(client)
    known_before = recorded_at(client, newest_change(client)["change_set"])
    response = amend(client, tokens, signed["id"],
                     {"effective": "2026-01", "value": {"amount": "5000000000", "currency": "EUR"},
                      "title": "Framework, ceiling raised"})  # fmt: skip
    assert response.status_code == 200, response.text
    report = lambda path, **params: client.get(path, params=params).text  # noqa: E731
    programme = f"/reports/programmes/{SLUG}"
    before, after = report(programme, as_of="2025-12-31"), report(programme, as_of="2026-01-31")
    assert "EUR 4,700,000,000.00" in before
    assert "EUR 5,000,000,000.00" not in before
    assert "Framework, ceiling raised" not in before
    assert "EUR 5,000,000,000.00" in after
    assert "Framework, ceiling raised" in after
    # As the registry knew it before the amendment was recorded: the signed value on any date.
    then = report(programme, as_of="2026-01-31", as_known_on=known_before)
    assert "EUR 4,700,000,000.00" in then
    assert "EUR 5,000,000,000.00" not in then
    summary = "/reports/contracts"
    assert "EUR 5,000,000,000.00" not in report(summary, as_of="2025-12-31")
    assert "EUR 5,000,000,000.00" in report(summary, as_of="2026-01-31")
