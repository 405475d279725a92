"""Voiding a contract recorded by mistake: it leaves every list, total, diff and report from
then on, stays readable as known before, and is refused with the field named (nothing written)
when it cannot be voided. From the API, the staff pages and the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlmodel import Session, select

from registry.audit import Change
from registry.cli import main
from registry.contracts import Contract
from registry.programmes import Programme
from tests.conftest import auth, dump
from tests.staff import Html, sign_in
from tests.test_history import newest_change, recorded_at

pytestmark = pytest.mark.usefixtures("seeded")

SLUG = "nspa-munitions-frameworks"
MMF = "mmf"


def _contracts(client: TestClient[Any], slug: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/programmes/{slug}/contracts", params={"limit": "500", **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _totals(client: TestClient[Any], slug: str, **params: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = client.get(f"/api/programmes/{slug}",
                                             params=params).json()["contract_totals"]  # fmt: skip
    return found


def _void(client, token: str, contract_id: int, reason: str | None = "a duplicate", **headers):
    params = {} if reason is None else {"reason": reason}
    return client.delete(f"/api/contracts/{contract_id}", params=params,
                         headers={**auth(token), **headers})  # fmt: skip


def test_a_voided_contract_leaves_lists_and_totals_and_stays_as_known_before(client, tokens):
    (munitions,) = _contracts(client, SLUG)
    assert _totals(client, SLUG) != []
    before = recorded_at(client, newest_change(client)["change_set"])
    answer = _void(client, tokens["editor"], munitions["id"], **{"If-Match": '"1"'})
    assert answer.status_code == 204, answer.text
    assert _contracts(client, SLUG) == []
    assert _totals(client, SLUG) == []
    assert client.get(f"/api/contracts/{munitions['id']}").status_code == 404
    everywhere = client.get("/api/contracts", params={"limit": "500"}).json()["items"]
    assert munitions["id"] not in [c["id"] for c in everywhere]
    # As the registry knew it before the void.
    assert [c["id"] for c in _contracts(client, SLUG, as_known_on=before)] == [munitions["id"]]
    assert _totals(client, SLUG, as_known_on=before) == [
        {"amount": "4700000000.00", "currency": "EUR"}
    ]
    change = newest_change(client)
    assert (change["action"], change["entity"], change["actor"]) == ("void", "contract", "editor")
    assert change["after"] == {"reason": "a duplicate"}
    # The diff over record time names it.
    diff = client.get(f"/api/programmes/{SLUG}/diff",
                      params={"known_from": before}).json()  # fmt: skip
    assert [c["id"] for c in diff["voided"]] == [munitions["id"]]
    # Gone is gone: neither voided again nor amended.
    again = _void(client, tokens["editor"], munitions["id"])
    assert (again.status_code, again.json()["errors"][0]["field"]) == (404, "id")
    amend = client.patch(f"/api/contracts/{munitions['id']}", json={"title": "Back"},
                         headers=auth(tokens["editor"]))  # fmt: skip
    assert amend.status_code == 404


@pytest.mark.parametrize(
    ("who", "reason", "headers", "status", "field"),
    [
        ("viewer", "a duplicate", {}, 403, "role"),
        ("editor", None, {}, 400, "reason"),
        ("editor", "   ", {}, 400, "reason"),
        ("editor", "a duplicate", {"If-Match": '"7"'}, 412, "version"),
    ],
)
def test_a_refused_void_names_the_field_and_changes_nothing(
    client, tokens, engine, who, reason, headers, status, field
):
    (munitions,) = _contracts(client, SLUG)
    before = dump(engine)
    answer = _void(client, tokens[who], munitions["id"], reason, **headers)
    assert answer.status_code == status, answer.text
    assert field in answer.json()["errors"][0]["field"] + answer.json()["errors"][0]["message"]
    assert dump(engine) == before


def test_a_contract_named_by_fleet_events_is_not_voided(client, tokens, engine):
    order = next(c for c in _contracts(client, MMF) if c["reference"] == "mmf-order-2016")
    before = dump(engine)
    answer = _void(client, tokens["editor"], order["id"])
    assert answer.status_code == 409
    problem = answer.json()["errors"][0]
    assert problem["field"] == "id"
    assert "fleet events" in problem["message"]
    assert dump(engine) == before


def test_an_editor_voids_a_contract_from_its_page_with_a_reason(client, staff, engine):
    token = sign_in(client, "editor")
    (munitions,) = _contracts(client, SLUG)
    path = f"/ui/programmes/{SLUG}/contracts/{munitions['id']}/void"
    assert path in Html(client.get(f"/ui/programmes/{SLUG}").text).links
    form = Html(client.get(path).text)
    before = dump(engine)
    refused = client.post(path, data={"csrf_token": token, "version": form.values["version"],
                                      "reason": ""})  # fmt: skip
    assert refused.status_code == 422
    assert Html(refused.text).errors["reason"] == "must not be empty"
    assert dump(engine) == before
    done = client.post(path, data={"csrf_token": token, "version": form.values["version"],
                                   "reason": "entered twice"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert _contracts(client, SLUG) == []
    assert client.get(path).status_code == 404
    client.cookies.clear()
    sign_in(client, "viewer")
    assert client.get(path).status_code == 403


def _munitions(engine) -> Contract:
    with Session(engine) as session:
        found = session.exec(select(Contract).join(Programme).where(Programme.slug == SLUG)).first()
    assert found is not None
    return found


def _cli(engine):
    url = engine.url.render_as_string(hide_password=False)
    return lambda *args: CliRunner().invoke(main, list(args), env={"REGISTRY_DATABASE_URL": url})


def _newest_change(engine) -> Change:
    with Session(engine) as session:
        change = session.exec(select(Change).order_by(Change.id.desc())).first()  # type: ignore[union-attr]
    assert change is not None
    return change


def test_the_cli_voids_a_contract_and_names_what_it_refuses(engine):
    munitions, run = _munitions(engine), _cli(engine)
    before = dump(engine)
    blank = run("contract", "void", str(munitions.id), "--reason", " ")
    assert (blank.exit_code, blank.output) == (1, "error: reason: must not be empty\n")
    missing = run("contract", "void", "999999", "--reason", "x")
    assert (missing.exit_code, missing.output) == (1, "error: id: no contract 999999\n")
    assert dump(engine) == before
    done = run("contract", "void", str(munitions.id), "--reason", "entered twice", "--actor", "ops")
    assert (done.exit_code, done.output) == (0, f"contract {munitions.id} voided\n")
    change = _newest_change(engine)
    assert (change.action, change.actor, change.entity_id) == ("void", "ops", munitions.id)


def test_the_cli_amends_a_contract_and_names_a_bad_field(engine):
    munitions, run = _munitions(engine), _cli(engine)
    before = dump(engine)
    bad = run("contract", "amend", str(munitions.id), "--quantity", "many")
    assert (bad.exit_code, bad.output) == (1, "error: quantity: 'many' is not a whole number\n")
    assert dump(engine) == before
    done = run("contract", "amend", str(munitions.id), "--amount", "5000000000", "--currency",
               "EUR", "--effective", "2026-01")  # fmt: skip
    assert (done.exit_code, done.output) == (0, f"contract {munitions.id} amended\n")
    change = _newest_change(engine)
    assert change.after is not None
    assert change.after["amendment"]["value_minor"] == 500_000_000_000
