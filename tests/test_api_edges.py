"""Odd input answered as a clear 4xx, never a 500; what stays private on open reads."""

import dataclasses

import pytest

from tests.conftest import auth, dump


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/programmes?format=pdf", "format"),
        ("/api/programmes/mmf/participants?format=pdf", "format"),
        ("/api/contracts?offset=99999999999999999999", "offset"),
        ("/api/programmes/mmf/fleet?limit=501", "limit"),
        ("/api/programmes/mmf/participants?limit=0", "limit"),
    ],
)
def test_bad_query_values_are_400_naming_the_parameter(client, seeded, path, field):
    response = client.get(path)
    assert response.status_code == 400, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_if_match_that_is_no_etag_of_ours_is_412(client, seeded, tokens, engine):
    before = dump(engine)
    response = client.patch("/api/programmes/mmf", json={"name": "X"},
                            headers=auth(tokens["editor"]) | {"If-Match": '"²"'.encode()})  # fmt: skip
    assert response.status_code == 412
    assert dump(engine) == before


def test_a_contract_id_beyond_any_integer_is_a_422(client, seeded, tokens, engine):
    before = dump(engine)
    body = {"date": "2027", "kind": "ordered", "count": 1, "contract": 2**70}
    response = client.post("/api/programmes/mmf/fleet", json=body, headers=auth(tokens["editor"]))
    assert response.status_code in (400, 422)
    assert dump(engine) == before


def test_amounts_of_a_trillion_or_more_are_refused(client, seeded, tokens, engine):
    before = dump(engine)
    body = {"title": "Too much", "kind": "acquisition",
            "value": {"amount": "1000000000000.00", "currency": "EUR"}}  # fmt: skip
    response = client.post(
        "/api/programmes/mmf/contracts", json=body, headers=auth(tokens["editor"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value.amount"
    assert dump(engine) == before


def test_changes_to_users_and_tokens_are_in_the_security_log_only(client, seeded, tokens):
    entities = lambda path, headers: {c["entity"] for c in client.get(  # noqa: E731
        path, params={"limit": 500}, headers=headers).json()["items"]}  # fmt: skip
    for headers in ({}, auth(tokens["editor"]), auth(tokens["admin"])):
        assert not entities("/api/changes", headers) & {"user", "api_token"}
    assert entities("/api/security-log", auth(tokens["admin"])) == {"user", "api_token"}


def test_the_documentation_stays_open_when_reads_need_a_token(app_settings, seeded, client_with):
    closed = dataclasses.replace(app_settings, public_read=False)
    with client_with(closed) as client:
        assert client.get("/api/programmes").status_code == 401
        assert client.get("/schema/openapi.json").status_code == 200
        assert client.get("/schema/swagger").status_code == 200
        assert client.get("/schema/static/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/api/nations?format=csv", "text/csv; charset=utf-8"),
     ("/reports/membership", "text/html; charset=utf-8")],
)  # fmt: skip
def test_text_answers_name_their_charset_once(client, seeded, path, media_type):
    assert client.get(path).headers["content-type"] == media_type
