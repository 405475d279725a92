"""The OCDS 1.1.5 export: every package validates against the standard's own schemas (offline,
format checks on), uses only codes of the closed codelists, and follows the registry's contracts
through their change sets."""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from litestar.testing import TestClient
from referencing import Registry, Resource
from sqlalchemy import Engine
from sqlmodel import Session

from registry.amendments import void_contract
from registry.cli import main
from registry.contracts import add_contract
from registry.money import exponent
from registry.ocds import BUDGET_BREAKDOWN, encode, record_package, release_package
from registry.ocds_merge import compile_releases
from seed.synthetic import build_synthetic
from tests.test_api_writes import editor, send

OCDS = Path(__file__).resolve().parent / "ocds"
"""The standard's schemas and codelists and the budget breakdown extension, kept beside the tests
(Apache-2.0): no network."""
CORE = OCDS / "1.1.5"
EXTENSION = OCDS / "extensions" / "budget_breakdown"
PUBLISHED = "https://standard.open-contracting.org/schema/1__1__5/"
CODELISTS = {
    "tag": ["releaseTag.csv"],
    "initiationType": ["initiationType.csv"],
    "roles": ["partyRole.csv", "+partyRole.csv"],
    "currency": ["currency.csv"],
    "status": [],  # no status is known to the registry: none may appear
}
"""The codelisted fields the export writes, by key, with the closed codelists their codes come from
(the extension's `+partyRole.csv` adds to the core's)."""


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396, as extensions patch the release schema."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@functools.cache
def validators() -> dict[str, Draft4Validator]:
    """Validators of the release and record packages, and of one release with the extension,
    their `$ref`s resolved from the files here (never the network)."""
    schemas = {name: _json(CORE / name) for name in
               ("release-schema.json", "release-package-schema.json",
                "record-package-schema.json")}  # fmt: skip
    registry: Registry[Any] = Registry().with_resources(
        (PUBLISHED + name, Resource.from_contents(schema)) for name, schema in schemas.items()
    )
    extended = merge_patch(schemas["release-schema.json"], _json(EXTENSION / "release-schema.json"))
    extended.pop("id")  # its own `#/definitions`, not the core schema's at that address
    checker = Draft4Validator.FORMAT_CHECKER
    return {
        "releases": Draft4Validator(schemas["release-package-schema.json"], registry=registry,
                                    format_checker=checker),
        "records": Draft4Validator(schemas["record-package-schema.json"], registry=registry,
                                   format_checker=checker),
        "release": Draft4Validator(extended, format_checker=checker),
    }  # fmt: skip


@functools.cache
def codes(key: str) -> frozenset[str]:
    found: set[str] = set()
    for name in CODELISTS[key]:
        path = EXTENSION / "codelists" / name if name.startswith("+") else CORE / "codelists" / name
        with path.open(encoding="utf-8") as file:
            found |= {row["Code"] for row in csv.DictReader(file)}
    return frozenset(found)


def walk(value: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """Every (key, value, object holding it) in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item, value
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def check(kind: str, text: str) -> dict[str, Any]:
    """A package's text: valid, its releases valid with the extension, every codelisted value a
    code, every amount with exactly its currency's decimal places. The package, parsed."""
    package: dict[str, Any] = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in validators()[kind].iter_errors(package)]  # fmt: skip
    assert not errors, errors[:5]
    assert package["extensions"] == [BUDGET_BREAKDOWN]
    releases = package.get("releases", []) if kind == "releases" else [
        record["compiledRelease"] for record in package["records"]
    ]  # fmt: skip
    for release in releases:
        errors = [e.message for e in validators()["release"].iter_errors(release)]
        assert not errors, (release["id"], errors[:5])
    for key, value, _ in walk(package):
        if key in CODELISTS:
            used = value if isinstance(value, list) else [value]
            assert set(used) <= codes(key), (key, used)
    for key, value, holder in walk(json.loads(text, parse_float=Decimal)):
        if key == "amount" and "currency" in holder:
            places = -int(value.as_tuple().exponent) if isinstance(value, Decimal) else 0
            assert places == exponent(holder["currency"]), holder
    return package


def get(client: TestClient[Any], path: str, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return check(path.rsplit("/", 1)[-1], response.text)


def by_ocid(package: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for release in package["releases"]:
        found.setdefault(release["ocid"], []).append(release)
    return found


@pytest.mark.usefixtures("seeded")
def test_the_seeded_registry_exports_valid_packages(client):
    releases = get(client, "/api/ocds/releases")
    records = get(client, "/api/ocds/records")
    assert {r["ocid"] for r in records["records"]} == set(by_ocid(releases))
    for record in records["records"]:
        releases_of = by_ocid(releases)[record["ocid"]]
        assert [linked["url"] for linked in record["releases"]] == [
            f"https://testserver.local/api/ocds/releases#{r['id']}" for r in releases_of
        ]
        assert record["compiledRelease"]["contracts"] == releases_of[-1]["contracts"]
    assert records["packages"] == ["https://testserver.local/api/ocds/releases"]
    release = next(r for r in releases["releases"] if r["buyer"]["id"] == "organisation-occar")
    roles = {party["id"]: party["roles"] for party in release["parties"]}
    assert roles["organisation-occar"] == ["buyer", "procuringEntity"]
    assert roles["organisation-airbus-defence-and-space"] == ["supplier"]
    assert release["planning"]["budget"]["projectID"] == "mmf"
    # Shares are read on the day a contract was signed. The MMF's first order (2016) precedes
    # any published share: its members fund it, but nothing breaks its value down.
    assert "budgetBreakdown" not in release["planning"]["budget"]
    assert roles["nation-NLD"] == roles["nation-LUX"] == ["funder"]
    # The tenth aircraft (28 March 2023) was ordered while the 2023 shares held.
    tenth = next(r for r in releases["releases"]
                 if r["contracts"][0]["dateSigned"] == "2023-03-28T00:00:00Z")  # fmt: skip
    roles = {party["id"]: party["roles"] for party in tenth["parties"]}
    breakdown = tenth["planning"]["budget"]["budgetBreakdown"]
    assert sorted(entry["id"] for entry in breakdown) == ["BEL", "CZE", "DEU", "LUX", "NLD", "NOR"]
    assert all(roles[f"nation-{entry['id']}"] == ["funder", "sourceParty"] for entry in breakdown)
    assert tenth["planning"]["budget"]["projectID"] == "mmf"


@pytest.mark.usefixtures("seeded")
def test_each_programme_exports_its_own_contracts_or_404(client):
    slugs = [
        p["slug"] for p in client.get("/api/programmes", params={"limit": 100}).json()["items"]
    ]
    for slug in slugs:
        contracts = client.get(f"/api/programmes/{slug}/contracts").json()["total"]
        response = client.get("/api/ocds/releases", params={"programme": slug})
        if contracts == 0:
            assert response.status_code == 404
            assert response.json()["errors"][0]["field"] == "programme"
            continue
        releases = check("releases", response.text)
        assert len(by_ocid(releases)) == contracts
        assert {r["planning"]["budget"]["projectID"] for r in releases["releases"]} == {slug}
        get(client, "/api/ocds/records", programme=slug)
    response = client.get("/api/ocds/records", params={"programme": "no-such-programme"})
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "programme", "message": "no programme 'no-such-programme'"}
    ]


@pytest.mark.usefixtures("seeded")
def test_an_amendment_through_the_api_is_a_new_release_with_an_amendment(client, tokens):
    signed = client.get("/api/programmes/nspa-munitions-frameworks/contracts").json()["items"][0]
    ocid = f"ocds-registry-contract-{signed['id']}"
    before = by_ocid(get(client, "/api/ocds/releases"))[ocid]
    assert [r["tag"] for r in before] == [["contract"]]
    body = {"effective": "2025-06", "value": {"amount": "5000000000", "currency": "EUR"},
            "note": "framework ceiling raised"}  # fmt: skip
    response = send(client, "PATCH", f"/api/contracts/{signed['id']}", body, **editor(tokens))
    assert response.status_code == 200, response.text
    correction = {"quantity": 3, "correction": True}
    response = send(client, "PATCH", f"/api/contracts/{signed['id']}", correction,
                    **editor(tokens))  # fmt: skip
    assert response.status_code == 200, response.text

    first, amended, corrected = by_ocid(get(client, "/api/ocds/releases"))[ocid]
    assert first == before[0]  # the first release still says what was signed
    assert (amended["tag"], corrected["tag"]) == (["contractAmendment"], ["contractUpdate"])
    assert first["date"] < amended["date"] < corrected["date"]
    contract = amended["contracts"][0]
    assert contract["value"] == {"amount": 5000000000, "currency": "EUR"}
    assert contract["amendments"] == [
        {"id": contract["amendments"][0]["id"], "date": "2025-06-01T00:00:00Z",
         "description": "From 2025-06: value 5000000000.00 EUR.",
         "releaseID": amended["id"], "rationale": "framework ceiling raised",
         "amendsReleaseID": first["id"]}
    ]  # fmt: skip
    # A correction fixes the record: a new release, but no amendment of the contract.
    assert corrected["contracts"][0]["amendments"] == contract["amendments"]
    assert corrected["contracts"][0]["items"][0]["quantity"] == 3
    record = next(r for r in get(client, "/api/ocds/records")["records"] if r["ocid"] == ocid)
    assert [r["tag"] for r in record["releases"]] == [["contract"], ["contractAmendment"],
                                                      ["contractUpdate"]]  # fmt: skip
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == corrected["date"]
    assert compiled["contracts"] == corrected["contracts"]


@pytest.mark.usefixtures("seeded")
def test_amounts_keep_their_currencys_decimal_places_and_voided_contracts_leave(engine, client):
    with Session(engine) as session:
        made = {
            currency: add_contract(session, programme="mmf", actor="test", title=f"In {currency}",
                                   kind="support", signed="2024-03", amount=amount,
                                   currency=currency).id
            for currency, amount in [("JPY", "1250"), ("KWD", "1.25"), ("NOK", "7")]
        }  # fmt: skip
        session.commit()
    response = client.get("/api/ocds/releases", params={"programme": "mmf"})
    check("releases", response.text)
    text = response.text
    assert '"value":{"amount":1250,"currency":"JPY"}' in text
    assert '"value":{"amount":1.250,"currency":"KWD"}' in text
    assert '"value":{"amount":7.00,"currency":"NOK"}' in text
    with Session(engine) as session:
        void_contract(session, contract_id=made["NOK"], reason="recorded twice", actor="test")
        session.commit()
    ocids = by_ocid(get(client, "/api/ocds/releases", programme="mmf"))
    assert f"ocds-registry-contract-{made['NOK']}" not in ocids
    assert f"ocds-registry-contract-{made['JPY']}" in ocids


def test_a_synthetic_registry_exports_valid_packages(engine):
    build_synthetic(engine, programmes=6, participations=40, contracts=60, fleet_events=10, seed=5)
    with Session(engine) as session:
        releases = release_package(session, uri="https://registry.example/api/ocds/releases")
        records = record_package(session, uri="https://registry.example/api/ocds/records",
                                 releases_uri="https://registry.example/api/ocds/releases")  # fmt: skip
    releases = check("releases", encode(releases).decode())
    check("records", encode(records).decode())
    # Bulk-built contracts have no audit rows: one release each, at the first change set.
    assert len(releases["releases"]) == 60
    assert {tuple(r["tag"]) for r in releases["releases"]} == {("contract",)}
    shared = [e for r in releases["releases"]
              for e in r["planning"]["budget"].get("budgetBreakdown", [])]  # fmt: skip
    assert any("amount" in e for e in shared)


def test_releases_compile_by_the_merge_rules():
    first = {
        "ocid": "x",
        "id": "x-1",
        "date": "2020-01-01T00:00:00Z",
        "tag": ["contract"],
        "parties": [{"id": "a", "roles": ["buyer"]}, {"id": "b", "roles": ["supplier"]}],
        "contracts": [{"id": "1", "title": "old", "items": [{"id": "1", "quantity": 2}]}],
    }
    later = {"ocid": "x", "id": "x-2", "date": "2021-01-01T00:00:00Z",
             "tag": ["contractAmendment"], "parties": [{"id": "a", "roles": ["funder"]}],
             "contracts": [{"id": "1", "title": "new"}]}  # fmt: skip
    assert compile_releases([first, later]) == {
        "ocid": "x", "id": "x-compiled", "date": "2021-01-01T00:00:00Z", "tag": ["compiled"],
        # Objects with ids merge by id; other lists (roles) are replaced whole.
        "parties": [{"id": "a", "roles": ["funder"]}, {"id": "b", "roles": ["supplier"]}],
        "contracts": [{"id": "1", "title": "new", "items": [{"id": "1", "quantity": 2}]}],
    }  # fmt: skip


def run(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, list(args), env={"REGISTRY_DATABASE_URL": url})


@pytest.mark.usefixtures("seeded")
def test_the_cli_writes_a_valid_release_package_and_refuses_a_format(engine, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "releases.json"
    result = run(engine, "export", "ocds", "--out", str(out), "--programme", "mmf")
    assert result.exit_code == 0, result.output
    package = check("releases", out.read_text(encoding="utf-8"))
    assert package["uri"] == out.resolve().as_uri()
    assert {r["planning"]["budget"]["projectID"] for r in package["releases"]} == {"mmf"}
    refused = folder / "refused.json"
    result = run(engine, "export", "ocds", "--out", str(refused), "--format", "xlsx")
    assert result.exit_code == 1
    assert result.output.startswith("error: format: --format does not apply to ocds")
    assert list(folder.iterdir()) == [out]
