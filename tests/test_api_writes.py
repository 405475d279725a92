"""The HTTP API's writes: roles, rules as problem details, ETags, the audit trail, nothing left
behind by a refused request."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from registry.settings import Settings
from tests.conftest import auth, dump

pytestmark = pytest.mark.usefixtures("seeded")

PROBLEM_JSON = "application/problem+json"
NEW_PROGRAMME = {"slug": "tanker-2", "name": "Tanker Two", "category": "multinational-fleet"}
NEW_CONTRACT = {
    "title": "Eleventh A330 MRTT",
    "kind": "amendment",
    "reference": "mmf-order-2026",
    "signed": "2026-01-15",
    "contractor": "airbus-defence-and-space",
    "awarding_organisation": "nspa",
    "quantity": 1,
    "item": "A330 MRTT",
    "value": {"amount": "265000000.00", "currency": "EUR"},
}
WRITES = [
    ("POST", "/api/programmes", NEW_PROGRAMME),
    ("PATCH", "/api/programmes/mmf", {"name": "Renamed"}),
    ("DELETE", "/api/programmes/innovation-ranges", None),
    ("POST", "/api/programmes/mmf/participants", {"nation": "FIN", "joined": "2025-07-01"}),
    ("PATCH", "/api/programmes/mmf/participants/DNK", {"role": "observer"}),
    ("POST", "/api/programmes/mmf/contracts", NEW_CONTRACT),
    ("POST", "/api/programmes/mmf/fleet", {"date": "2026-01-01", "kind": "ordered", "count": 1}),
]


def send(client: TestClient[Any], method: str, path: str, body: Any = None, **headers: str) -> Any:
    """A request with a JSON body (or raw bytes) and headers."""
    content = body if isinstance(body, bytes) else None if body is None else json.dumps(body)
    if content is not None:
        headers.setdefault("Content-Type", "application/json")
    return client.request(method, path, content=content, headers=headers)


def assert_refused(
    engine: Engine,
    client: TestClient[Any],
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
    **headers: str,
) -> Any:
    """The write is refused as a problem naming `field`, and the database is unchanged."""
    before = dump(engine)
    response = send(client, method, path, body, **headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "instance"} <= problem.keys()
    assert field in [error["field"] for error in problem["errors"]], problem
    assert dump(engine) == before, "a refused write left rows behind"
    return response


def editor(tokens: dict[str, str], **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['editor']}", **more}


def changes(client: TestClient[Any], **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/changes", params=params)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- who may write ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic ZWRpdG9yOnNlY3JldA=="],
)
def test_writes_without_a_valid_bearer_token_are_401(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str], authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in WRITES:
        response = assert_refused(
            engine, client, method, path, body, 401, "authorization", **headers
        )
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("role", "writes"),
    [("viewer", WRITES), ("editor", [w for w in WRITES if w[0] == "DELETE"])],
)
def test_a_role_too_low_is_403(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    role: str,
    writes: list[tuple[str, str, Any]],
) -> None:
    for method, path, body in writes:
        assert_refused(engine, client, method, path, body, 403, "role", **auth(tokens[role]))


def test_private_reads_need_a_token_of_any_role(
    app_settings: Settings, tokens: dict[str, str], client_with: Any
) -> None:
    private = dataclasses.replace(app_settings, public_read=False)
    reads = ["/api/programmes", "/api/programmes/mmf", "/api/programmes/mmf/participants",
             "/api/contracts", "/api/nations/DNK", "/api/changes"]  # fmt: skip
    with client_with(private) as client:
        for path in reads:
            for headers in ({}, auth("not-a-token")):
                response = client.get(path, headers=headers)
                assert response.status_code == 401, path
                assert response.headers["content-type"].startswith(PROBLEM_JSON)
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert [e["field"] for e in response.json()["errors"]] == ["authorization"]
            for role in ("viewer", "editor", "admin"):
                assert client.get(path, headers=auth(tokens[role])).status_code == 200, path


def test_health_answers_without_a_token_even_when_reads_are_private(
    app_settings: Settings, client_with: Any
) -> None:
    private = dataclasses.replace(app_settings, public_read=False)
    with client_with(private) as client:
        response = client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok"}


def test_body_larger_than_the_limit_is_413(
    engine: Engine, app_settings: Settings, tokens: dict[str, str]
) -> None:
    small = dataclasses.replace(app_settings, max_body_bytes=512)
    body = NEW_PROGRAMME | {"description": "x" * 1000}
    with TestClient(create_app(small)) as client:
        assert_refused(engine, client, "POST", "/api/programmes", body, 413, "body",
                       **editor(tokens))  # fmt: skip
        fits = send(client, "POST", "/api/programmes", NEW_PROGRAMME, **editor(tokens))
        assert fits.status_code == 201, fits.text


# --- programmes ---------------------------------------------------------------------------


def test_create_programme(client: TestClient[Any], tokens: dict[str, str]) -> None:
    body = NEW_PROGRAMME | {"managing_organisation": "nspa", "launched": "2026-01",
                            "acronym": "T2", "asset_type": "A330 MRTT"}  # fmt: skip
    response = send(client, "POST", "/api/programmes", body,
                    **editor(tokens, **{"X-Request-ID": "create-tanker-2"}))  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    created = response.json()
    assert {k: created[k] for k in ("slug", "name", "managing_organisation", "launched",
                                    "status", "members", "contract_totals", "fleet")} == {
        "slug": "tanker-2", "name": "Tanker Two", "managing_organisation": "nspa",
        "launched": "2026-01", "status": "active", "members": [], "contract_totals": [],
        "fleet": None,
    }  # fmt: skip
    assert client.get("/api/programmes/tanker-2").json()["name"] == "Tanker Two"
    (change,) = changes(client, actor="editor")
    assert (change["action"], change["entity"], change["key"]) == (
        "create",
        "programme",
        "tanker-2",
    )
    assert (change["before"], change["after"]["name"]) == (None, "Tanker Two")
    assert change["request_id"] == "create-tanker-2"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        pytest.param(NEW_PROGRAMME | {"slug": "mmf"}, 409, "slug", id="slug-taken"),
        pytest.param(NEW_PROGRAMME | {"slug": "Tanker Two!"}, 422, "slug", id="bad-slug"),
        pytest.param(NEW_PROGRAMME | {"managing_organisation": "nobody"}, 422,
                     "managing_organisation", id="unknown-organisation"),
        pytest.param(NEW_PROGRAMME | {"launched": "2026-13"}, 422, "launched", id="bad-date"),
        pytest.param(NEW_PROGRAMME | {"name": 5}, 400, "name", id="wrong-type"),
        # A bad choice is the rule's 422, as from the forms, the importer and the seed.
        pytest.param(NEW_PROGRAMME | {"category": "fleet-ish"}, 422, "category", id="bad-choice"),
        pytest.param(NEW_PROGRAMME | {"colour": "red"}, 400, "colour", id="unknown-field"),
        pytest.param({"name": "No slug", "category": "innovation"}, 400, "slug",
                     id="missing-field"),
        pytest.param(b'{"slug": "tanker-2", ', 400, "body", id="malformed-json"),
        pytest.param(b"[1, 2]", 400, "body", id="not-an-object"),
    ],
)  # fmt: skip
def test_create_programme_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    body: Any,
    status: int,
    field: str,
) -> None:
    assert_refused(engine, client, "POST", "/api/programmes", body, status, field,
                   **editor(tokens))  # fmt: skip


@pytest.mark.parametrize("if_match", ['"1"', None])
def test_patch_programme(
    client: TestClient[Any], tokens: dict[str, str], if_match: str | None
) -> None:
    read = client.get("/api/programmes/mmf")
    assert read.headers["etag"] == '"1"'
    headers = editor(tokens, **{"X-Request-ID": "rename-mmf"})
    if if_match is not None:
        headers["If-Match"] = if_match
    response = send(client, "PATCH", "/api/programmes/mmf",
                    {"name": "MRTT Fleet", "status": "active"}, **headers)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert (response.json()["name"], response.json()["version"]) == ("MRTT Fleet", 2)
    assert response.json()["acronym"] == "MMF"  # untouched
    (change,) = changes(client, actor="editor")
    assert (change["action"], change["key"], change["request_id"]) == (
        "update", "mmf", "rename-mmf",
    )  # fmt: skip
    assert (change["before"]["name"], change["after"]["name"]) == (
        "Multinational Multi Role Tanker Transport Fleet", "MRTT Fleet",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "if_match", "status", "field"),
    [
        pytest.param("/api/programmes/mmf", {"name": "Late"}, '"1"', 412, "version", id="stale"),
        pytest.param("/api/programmes/mmf", {"name": "Late"}, '"abc"', 412, "version",
                     id="not-an-etag"),
        pytest.param("/api/programmes/mmf", {"slug": "innovation-ranges"}, None, 409, "slug",
                     id="slug-taken"),
        pytest.param("/api/programmes/mmf", {"status": "paused"}, None, 422, "status",
                     id="bad-choice"),
        pytest.param("/api/programmes/nope", {"name": "Nope"}, None, 404, "slug", id="unknown"),
    ],
)  # fmt: skip
def test_patch_programme_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    path: str,
    body: dict[str, Any],
    if_match: str | None,
    status: int,
    field: str,
) -> None:
    first = send(client, "PATCH", "/api/programmes/mmf", {"acronym": "MRTT"}, **editor(tokens))
    assert first.headers["etag"] == '"2"'  # someone else's edit: version 1 is now stale
    headers = editor(tokens, **({"If-Match": if_match} if if_match else {}))
    assert_refused(engine, client, "PATCH", path, body, status, field, **headers)


def test_delete_an_empty_programme(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str]
) -> None:
    created = send(client, "POST", "/api/programmes", NEW_PROGRAMME, **editor(tokens))
    assert created.status_code == 201, created.text
    deleted = client.delete("/api/programmes/tanker-2", headers=auth(tokens["admin"]))
    assert deleted.status_code == 204, deleted.text
    assert client.get("/api/programmes/tanker-2").status_code == 404
    assert_refused(engine, client, "DELETE", "/api/programmes/tanker-2", None, 404, "slug",
                   **auth(tokens["admin"]))  # fmt: skip
    (change,) = changes(client, actor="admin")
    assert (change["action"], change["entity"], change["key"]) == (
        "delete",
        "programme",
        "tanker-2",
    )
    assert (change["before"]["slug"], change["after"]) == ("tanker-2", None)


def test_delete_a_programme_with_history_is_409(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str]
) -> None:
    for slug in ("mmf", "nspa-munitions-frameworks"):  # members; a contract only
        assert_refused(engine, client, "DELETE", f"/api/programmes/{slug}", None, 409, "slug",
                       **auth(tokens["admin"]))  # fmt: skip


# --- participation ------------------------------------------------------------------------


def test_join_answers_the_nation_as_alpha_3(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    body = {"nation": "dk", "joined": "2025-07-01", "role": "observer", "cost_share": "12.50",
            "instrument": "mou"}  # fmt: skip
    response = send(client, "POST", "/api/programmes/innovation-ranges/participants", body,
                    **editor(tokens, **{"X-Request-ID": "denmark-joins"}))  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    assert response.json() == {
        "nation": "DNK", "nation_name": "Denmark", "role": "observer", "instrument": "mou",
        "joined": "2025-07-01", "left": None, "cost_share": "12.50", "note": None, "version": 1,
    }  # fmt: skip
    member = client.get("/api/programmes/innovation-ranges/participants/Denmark")
    assert member.json()["nation"] == "DNK"
    (change,) = changes(client, actor="editor")
    assert (change["action"], change["entity"], change["key"], change["request_id"]) == (
        "create", "participation", "innovation-ranges/DNK", "denmark-joins",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        pytest.param("mmf", {"nation": "NLD", "joined": "2025-07-01"}, 409, "nation",
                     id="already-active"),
        pytest.param("mmf", {"nation": "nl", "joined": "2025-07-01"}, 409, "nation",
                     id="already-active-alpha-2"),
        pytest.param("mmf", {"nation": "Atlantis", "joined": "2025-07-01"}, 422, "nation",
                     id="unknown-nation"),
        # In 2024 the seeded shares add up to 100 % (from 24 June 2025 none is known).
        pytest.param("mmf", {"nation": "FIN", "joined": "2024-01-01", "cost_share": "0.01"},
                     422, "cost_share", id="shares-above-100"),
        pytest.param("mmf", {"nation": "FIN", "joined": "2025-02-30"}, 422, "joined",
                     id="bad-date"),
        pytest.param("mmf", {"nation": "FIN", "joined": "2025-07-01", "role": "boss"}, 422,
                     "role", id="bad-role"),
        pytest.param("nope", {"nation": "FIN", "joined": "2025-07-01"}, 404, "programme",
                     id="unknown-programme"),
    ],
)  # fmt: skip
def test_join_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    path: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    assert_refused(engine, client, "POST", f"/api/programmes/{path}/participants", body, status,
                   field, **editor(tokens))  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"role": "participant"}, {"role": "participant", "left": None}),
        ({"cost_share": "19.50", "note": "fewer flight hours"},
         {"cost_share": "19.50", "note": "fewer flight hours"}),
        ({"left": "2025-12-31"}, {"left": "2025-12-31"}),
    ],
)  # fmt: skip
def test_update_participation(
    client: TestClient[Any], tokens: dict[str, str], body: dict[str, Any], expected: dict[str, Any]
) -> None:
    read = client.get("/api/programmes/mmf/participants/NLD")
    version = read.json()["version"]
    assert read.headers["etag"] == f'"{version}"'
    headers = editor(tokens, **{"If-Match": read.headers["etag"], "X-Request-ID": "nld"})
    response = send(client, "PATCH", "/api/programmes/mmf/participants/nl", body, **headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{version + 1}"'
    assert response.json() | expected == response.json()
    assert response.json()["nation"] == "NLD"
    (change,) = changes(client, actor="editor")
    assert (change["action"], change["key"], change["request_id"]) == ("update", "mmf/NLD", "nld")
    still_member = client.get("/api/programmes/mmf/participants/NLD").status_code == 200
    assert still_member is ("left" not in body)
    history = client.get("/api/programmes/mmf/participants", params={"include_past": "true"})
    assert [p["nation"] for p in history.json()["items"]].count("NLD") == 1


@pytest.mark.parametrize(
    ("nation", "body", "if_match", "status", "field"),
    [
        pytest.param("SWE", {"left": "2025-06-23"}, None, 422, "left", id="left-before-joined"),
        pytest.param("FRA", {"role": "lead"}, None, 404, "nation", id="not-a-member"),
        pytest.param("NLD", {"role": "participant"}, '"7"', 412, "version", id="stale"),
        pytest.param("BEL", {"cost_share": "10.11", "effective": "2024"}, None, 422,
                     "cost_share", id="shares-above-100"),  # 100 % in 2024 (none known today)
        pytest.param("BEL", {"joined": "2018-01-01"}, None, 400, "joined", id="unknown-field"),
    ],
)  # fmt: skip
def test_update_participation_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    nation: str,
    body: dict[str, Any],
    if_match: str | None,
    status: int,
    field: str,
) -> None:
    headers = editor(tokens, **({"If-Match": if_match} if if_match else {}))
    path = f"/api/programmes/mmf/participants/{nation}"
    assert_refused(engine, client, "PATCH", path, body, status, field, **headers)


# --- contracts and fleet ------------------------------------------------------------------


def test_add_contract_echoes_its_value(client: TestClient[Any], tokens: dict[str, str]) -> None:
    response = send(client, "POST", "/api/programmes/mmf/contracts", NEW_CONTRACT,
                    **editor(tokens, **{"X-Request-ID": "order-11"}))  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    contract = response.json()
    assert contract["value"] == {"amount": "265000000.00", "currency": "EUR"}
    assert {k: contract[k] for k in ("programme", "reference", "signed", "contractor",
                                     "awarding_organisation", "quantity")} == {
        "programme": "mmf", "reference": "mmf-order-2026", "signed": "2026-01-15",
        "contractor": "airbus-defence-and-space", "awarding_organisation": "nspa", "quantity": 1,
    }  # fmt: skip
    totals = client.get("/api/programmes/mmf").json()["contract_totals"]
    assert totals == [{"currency": "EUR", "amount": "530000000.00"}]
    listed = client.get("/api/contracts", params={"programme": "mmf", "sort": "-signed"})
    assert listed.json()["items"][0]["value"] == {"amount": "265000000.00", "currency": "EUR"}
    (change,) = changes(client, actor="editor")
    assert (change["action"], change["entity"], change["request_id"]) == (
        "create", "contract", "order-11",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "status", "field"),
    [
        pytest.param({"amount": "-1.00", "currency": "EUR"}, 422, "value.amount", id="negative"),
        pytest.param({"amount": "1.001", "currency": "EUR"}, 422, "value.amount",
                     id="fraction-of-a-cent"),
        pytest.param({"amount": "1.00", "currency": "XYZ"}, 422, "value.currency",
                     id="unknown-currency"),
        pytest.param({"amount": 265000000.0, "currency": "EUR"}, 400, "value.amount", id="float"),
        pytest.param({"amount": "1.00"}, 400, "value.currency", id="no-currency"),
    ],
)  # fmt: skip
def test_add_contract_with_bad_money_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    value: dict[str, Any],
    status: int,
    field: str,
) -> None:
    body = NEW_CONTRACT | {"value": value}
    assert_refused(engine, client, "POST", "/api/programmes/mmf/contracts", body, status, field,
                   **editor(tokens))  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        pytest.param(NEW_CONTRACT | {"reference": "mmf-order-2023"}, 409, "reference",
                     id="duplicate-reference"),
        pytest.param(NEW_CONTRACT | {"contractor": "nobody"}, 422, "contractor",
                     id="unknown-contractor"),
        pytest.param(NEW_CONTRACT | {"kind": "gift"}, 422, "kind", id="bad-kind"),
    ],
)  # fmt: skip
def test_add_contract_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    assert_refused(engine, client, "POST", "/api/programmes/mmf/contracts", body, status, field,
                   **editor(tokens))  # fmt: skip


def test_record_fleet_events_with_running_totals(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    for body, totals in [
        ({"date": "2026-01-15", "kind": "ordered", "count": 2}, (14, 9, 5)),
        ({"date": "2026-03-01", "kind": "delivered", "count": 1, "note": "MMF10"}, (14, 10, 4)),
        ({"date": "2026-06-01", "kind": "retired", "count": 1}, (14, 9, 4)),
    ]:
        response = send(client, "POST", "/api/programmes/mmf/fleet", body,
                        **editor(tokens, **{"X-Request-ID": str(body["kind"])}))  # fmt: skip
        assert response.status_code == 201, response.text
        event = response.json()
        assert (event["ordered"], event["in_service"], event["on_order"]) == totals
        assert (event["asset_type"], event["kind"], event["count"]) == (
            "A330 MRTT", body["kind"], body["count"],
        )  # fmt: skip
    fleet = client.get("/api/programmes/mmf", params={"as_of": "2026-06-01"}).json()["fleet"]
    assert fleet == {"asset_type": "A330 MRTT", "ordered": 14, "in_service": 9, "on_order": 4}
    recorded = changes(client, actor="editor", entity="fleet_event")
    assert [c["request_id"] for c in recorded] == ["retired", "delivered", "ordered"]


@pytest.mark.parametrize(
    ("slug", "body", "status", "field"),
    [
        pytest.param("mmf", {"date": "2026-01-01", "kind": "delivered", "count": 4}, 422, "count",
                     id="more-delivered-than-ordered"),
        pytest.param("mmf", {"date": "2016-01-01", "kind": "delivered", "count": 1}, 422, "count",
                     id="delivered-before-any-order"),
        pytest.param("mmf", {"date": "2026-01-01", "kind": "retired", "count": 10}, 422, "count",
                     id="more-retired-than-delivered"),
        pytest.param("innovation-ranges", {"date": "2026-01-01", "kind": "delivered", "count": 1,
                                      "asset_type": "Range"}, 422, "count", id="nothing-ordered"),
        pytest.param("mmf", {"date": "2026-01-01", "kind": "lost", "count": 1}, 422, "kind",
                     id="bad-kind"),
    ],
)  # fmt: skip
def test_record_fleet_event_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    slug: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    assert_refused(engine, client, "POST", f"/api/programmes/{slug}/fleet", body, status, field,
                   **editor(tokens))  # fmt: skip
