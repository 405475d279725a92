"""Organisations over the API: editors add and change them, with ETags and the audit trail; a
refused write names its field and leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from tests.conftest import auth, dump
from tests.test_api_writes import PROBLEM_JSON, changes, editor, send

pytestmark = pytest.mark.usefixtures("seeded")


def assert_refused(
    engine: Engine, client: TestClient[Any], method: str, path: str, body: Any, status: int,
    field: str, **headers: str,
) -> Any:  # fmt: skip
    """The write is refused as a problem naming `field`, and nothing of it is written."""
    before = dump(engine)
    response = send(client, method, path, body, **headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert field in [error["field"] for error in response.json()["errors"]], response.text
    assert dump(engine) == before, "a refused write left rows behind"
    return response


LEONARDO = {"slug": "leonardo", "name": "Leonardo", "kind": "contractor", "country": "ITA"}


def test_an_editor_adds_an_organisation(client: TestClient[Any], tokens: dict[str, str]) -> None:
    response = send(client, "POST", "/api/organisations", LEONARDO, **editor(tokens))
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    assert response.json() == LEONARDO | {"version": 1}
    assert client.get("/api/organisations/leonardo").json()["name"] == "Leonardo"
    (change,) = changes(client, entity="organisation", actor="editor")
    assert (change["action"], change["key"], change["before"]) == ("create", "leonardo", None)
    assert change["after"]["country"] == "ITA"


def test_a_country_is_answered_as_alpha_3(client: TestClient[Any], tokens: dict[str, str]) -> None:
    body = LEONARDO | {"country": "Italy"}
    assert (
        send(client, "POST", "/api/organisations", body, **editor(tokens)).json()["country"]
        == "ITA"
    )


def test_an_edit_changes_the_fields_given_and_the_etag(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    read = client.get("/api/organisations/nspa")
    etag = read.headers["etag"]
    response = send(client, "PATCH", "/api/organisations/nspa", {"country": "BEL"},
                    **editor(tokens, **{"If-Match": etag}))  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["kind"], body["country"]) == (
        read.json()["name"], read.json()["kind"], "BEL",
    )  # fmt: skip
    assert response.headers["etag"] == f'"{read.json()["version"] + 1}"'
    (change,) = changes(client, entity="organisation", actor="editor")
    assert (change["action"], change["key"]) == ("update", "nspa")
    assert change["before"]["country"] == read.json()["country"]
    assert change["after"]["country"] == "BEL"
    assert change["entity_id"] == change["before"]["id"]


def test_an_edit_that_changes_nothing_records_nothing(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    read = client.get("/api/organisations/nspa").json()
    response = send(client, "PATCH", "/api/organisations/nspa", {"name": read["name"]},
                    **editor(tokens))  # fmt: skip
    assert (response.status_code, response.json()["version"]) == (200, read["version"])
    assert changes(client, entity="organisation", actor="editor") == []


CREATE_REFUSALS = [
    pytest.param(LEONARDO | {"slug": "nspa"}, 409, "slug", id="slug-taken"),
    pytest.param(LEONARDO | {"slug": "Leonardo SpA"}, 422, "slug", id="bad-slug"),
    pytest.param(LEONARDO | {"name": "  "}, 422, "name", id="blank-name"),
    pytest.param(LEONARDO | {"kind": "bank"}, 422, "kind", id="bad-kind"),
    pytest.param(LEONARDO | {"country": "Atlantis"}, 422, "country", id="unknown-country"),
    pytest.param(LEONARDO | {"country": "CHN"}, 422, "country", id="not-a-registry-nation"),
    pytest.param(LEONARDO | {"colour": "red"}, 400, "colour", id="unknown-field"),
    pytest.param({"name": "No slug", "kind": "agency"}, 400, "slug", id="missing-slug"),
]


@pytest.mark.parametrize(("body", "status", "field"), CREATE_REFUSALS)
def test_a_refused_organisation_names_the_field(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str], body: Any, status: int,
    field: str,
) -> None:  # fmt: skip
    assert_refused(engine, client, "POST", "/api/organisations", body, status, field,
                   **editor(tokens))  # fmt: skip


PATCH_REFUSALS = [
    pytest.param("nspa", {"kind": "bank"}, 422, "kind", id="bad-kind"),
    pytest.param("nspa", {"name": ""}, 422, "name", id="blank-name"),
    pytest.param("nspa", {"country": "ZZZ"}, 422, "country", id="unknown-country"),
    pytest.param("nspa", {"slug": "nspa-2"}, 400, "slug", id="slug-stays"),
    pytest.param("nobody", {"name": "X"}, 404, "slug", id="no-such-organisation"),
]


@pytest.mark.parametrize(("slug", "body", "status", "field"), PATCH_REFUSALS)
def test_a_refused_edit_names_the_field(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str], slug: str, body: Any,
    status: int, field: str,
) -> None:  # fmt: skip
    assert_refused(engine, client, "PATCH", f"/api/organisations/{slug}", body, status, field,
                   **editor(tokens))  # fmt: skip


def test_an_edit_from_a_stale_read_is_412(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str]
) -> None:
    etag = client.get("/api/organisations/nspa").headers["etag"]
    first = send(client, "PATCH", "/api/organisations/nspa", {"name": "First edit"},
                 **editor(tokens, **{"If-Match": etag}))  # fmt: skip
    assert first.status_code == 200, first.text
    response = assert_refused(engine, client, "PATCH", "/api/organisations/nspa",
                              {"name": "Second edit"}, 412, "version",
                              **editor(tokens, **{"If-Match": etag}))  # fmt: skip
    assert "changed since it was read" in response.text
    assert client.get("/api/organisations/nspa").json()["name"] == "First edit"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/api/organisations", LEONARDO),
     ("PATCH", "/api/organisations/nspa", {"name": "Renamed"})],
)  # fmt: skip
def test_viewers_and_strangers_cannot_write(
    engine: Engine, client: TestClient[Any], tokens: dict[str, str], method: str, path: str,
    body: Any,
) -> None:  # fmt: skip
    assert_refused(engine, client, method, path, body, 403, "role", **auth(tokens["viewer"]))
    assert_refused(engine, client, method, path, body, 401, "authorization")


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/api/organisations", "GET, OPTIONS, POST"),
     ("/api/organisations/nspa", "GET, OPTIONS, PATCH")],
)  # fmt: skip
def test_options_lists_the_reads_and_the_writes(
    client: TestClient[Any], path: str, methods: str
) -> None:
    """The reads and the writes come from two routers (`BesideTheReads`): one path, one list."""
    assert client.options(path).headers["allow"] == methods
