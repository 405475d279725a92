"""Sources and citations over the API: editors add and edit them, anyone reads them, each write
is in the audit trail and a refused one leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from registry.audit import Change
from registry.programmes import Programme
from registry.sources import Citation
from tests.conftest import auth, dump
from tests.test_api_writes import assert_refused, editor, send

pytestmark = pytest.mark.usefixtures("seeded")

SOURCE = "public-reporting"
NEW_SOURCE = {"key": "janes-2026", "title": "Tanker fleet review", "publisher": "Janes",
              "url": "https://www.janes.com/tankers", "published": "2026-02"}  # fmt: skip


def mmf_id(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.exec(select(Programme.id).where(Programme.slug == "mmf")).one()
    assert found is not None
    return found


def last_change(engine: Engine) -> Change:
    with Session(engine) as session:
        found = session.exec(select(Change).order_by(Change.id.desc())).first()  # type: ignore[union-attr]
    assert found is not None
    return found


def a_citation(client: TestClient[Any], engine: Engine, tokens: dict[str, str]) -> dict[str, Any]:
    body = {"source": "janes-2026", "entity": "programme", "entity_id": mmf_id(engine),
            "confidence": "medium", "note": "fleet size only"}  # fmt: skip
    assert send(client, "POST", "/api/sources", NEW_SOURCE, **editor(tokens)).status_code == 201
    answer = send(client, "POST", "/api/citations", body, **editor(tokens))
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


# --- reading ------------------------------------------------------------------------------


def test_sources_are_listed_by_key_with_how_many_records_cite_them(client):
    answer = client.get("/api/sources", params={"limit": 2})
    assert answer.status_code == 200
    page = answer.json()
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 0)
    keys = [item["key"] for item in page["items"]]
    assert keys == sorted(keys)
    assert len(keys) == 2
    assert all(item["citations"] > 0 for item in page["items"])


def test_a_source_shows_the_records_citing_it_and_its_version(client):
    answer = client.get(f"/api/sources/{SOURCE}")
    assert (answer.status_code, answer.headers["etag"]) == (200, '"1"')
    body = answer.json()
    assert body["key"] == SOURCE
    assert body["cited_by"]
    first = body["cited_by"][0]
    assert {"id", "entity", "entity_id", "record", "confidence", "note"} <= first.keys()
    assert client.get("/api/sources/no-such-source").status_code == 404


def test_a_records_citations_are_listed_by_kind_and_id(client, engine):
    answer = client.get(
        "/api/citations", params={"entity": "programme", "entity_id": mmf_id(engine)}
    )
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert items
    assert all(i["entity"] == "programme" for i in items)
    assert {i["record"] for i in items} == {"Multinational Multi Role Tanker Transport Fleet"}
    assert client.get("/api/citations", params={"entity": "planet"}).status_code == 400


# --- writing ------------------------------------------------------------------------------


def test_an_editor_registers_a_source_and_the_change_is_recorded(client, engine, tokens):
    answer = send(client, "POST", "/api/sources", NEW_SOURCE, **editor(tokens))
    assert (answer.status_code, answer.headers["etag"]) == (201, '"1"')
    assert answer.json()["published"] == "2026-02"
    change = last_change(engine)
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "create", "source", "janes-2026",
    )  # fmt: skip
    assert change.after is not None
    assert change.after["title"] == "Tanker fleet review"


def test_an_editor_edits_a_source_read_before_and_the_change_is_recorded(client, engine, tokens):
    read = client.get(f"/api/sources/{SOURCE}")
    body = {"title": "Public reporting, revised", "publisher": None}
    answer = send(client, "PATCH", f"/api/sources/{SOURCE}", body,
                  **editor(tokens, **{"If-Match": read.headers["etag"]}))  # fmt: skip
    assert (answer.status_code, answer.headers["etag"]) == (200, '"2"'), answer.text
    assert (answer.json()["title"], answer.json()["publisher"]) == (body["title"], None)
    change = last_change(engine)
    assert (change.actor, change.action, change.entity, change.key) == (
        "editor", "update", "source", SOURCE,
    )  # fmt: skip
    assert change.before is not None
    assert change.after is not None
    assert (change.before["version"], change.after["version"]) == (1, 2)
    assert change.after["title"] == body["title"]


def test_an_edit_that_changes_nothing_records_nothing(client, engine, tokens):
    title = client.get(f"/api/sources/{SOURCE}").json()["title"]
    before = dump(engine)
    answer = send(client, "PATCH", f"/api/sources/{SOURCE}", {"title": title}, **editor(tokens))
    assert (answer.status_code, answer.headers["etag"]) == (200, '"1"')
    assert dump(engine) == before


def test_a_citation_is_added_changed_and_removed_each_in_the_audit_trail(client, engine, tokens):
    made = a_citation(client, engine, tokens)
    assert (made["source"], made["confidence"], made["record"]) == (
        "janes-2026", "medium", "Multinational Multi Role Tanker Transport Fleet",
    )  # fmt: skip
    key = f"programme/{mmf_id(engine)}/janes-2026"
    created = last_change(engine)
    assert (created.actor, created.action, created.entity, created.key) == (
        "editor", "create", "citation", key,
    )  # fmt: skip

    path = f"/api/citations/{made['id']}"
    answer = send(client, "PATCH", path, {"confidence": "low", "note": None}, **editor(tokens))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["confidence"], answer.json()["note"]) == ("low", None)
    updated = last_change(engine)
    assert (updated.action, updated.key, updated.actor) == ("update", key, "editor")
    assert updated.before is not None
    assert updated.before["confidence"] == "medium"

    assert send(client, "DELETE", path, **editor(tokens)).status_code == 204
    removed = last_change(engine)
    assert (removed.action, removed.key, removed.after) == ("delete", key, None)
    assert removed.before is not None
    assert removed.before["confidence"] == "low"
    with Session(engine) as session:
        assert session.get(Citation, made["id"]) is None
    assert client.get("/api/sources/janes-2026").json()["cited_by"] == []


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/api/sources", NEW_SOURCE | {"key": "Not A Key"}, 422, "key"),
        ("POST", "/api/sources", NEW_SOURCE | {"title": " "}, 422, "title"),
        ("POST", "/api/sources", NEW_SOURCE | {"url": "ftp://janes.com"}, 422, "url"),
        ("POST", "/api/sources", NEW_SOURCE | {"published": "June 2026"}, 422, "published"),
        ("POST", "/api/sources", NEW_SOURCE | {"key": SOURCE}, 409, "key"),
        ("PATCH", f"/api/sources/{SOURCE}", {"title": ""}, 422, "title"),
        ("PATCH", f"/api/sources/{SOURCE}", {"url": "www.example.org"}, 422, "url"),
        ("PATCH", "/api/sources/no-such-source", {"title": "T"}, 404, "key"),
        ("POST", "/api/citations", {"source": "nope", "entity": "programme", "entity_id": 1,
                                    "confidence": "high"}, 404, "source"),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "contract",
                                    "entity_id": 99999, "confidence": "high"}, 404, "entity_id"),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "programme", "entity_id": 1,
                                    "confidence": "certain"}, 422, "confidence"),
        ("PATCH", "/api/citations/99999", {"confidence": "low"}, 404, "id"),
        ("DELETE", "/api/citations/99999", None, 404, "id"),
    ],
)  # fmt: skip
def test_refused_writes_name_the_field_and_leave_nothing(
    client, engine, tokens, method, path, body, status, field
):
    assert_refused(engine, client, method, path, body, status, field, **editor(tokens))


def test_citing_a_source_a_record_cites_already_is_a_conflict(client, engine, tokens):
    made = a_citation(client, engine, tokens)
    again = {"source": made["source"], "entity": "programme", "entity_id": made["entity_id"],
             "confidence": "high"}  # fmt: skip
    assert_refused(engine, client, "POST", "/api/citations", again, 409, "source", **editor(tokens))


def test_a_stale_if_match_is_refused(client, engine, tokens):
    first = send(client, "PATCH", f"/api/sources/{SOURCE}", {"title": "First"}, **editor(tokens))
    assert first.headers["etag"] == '"2"'
    assert_refused(engine, client, "PATCH", f"/api/sources/{SOURCE}", {"title": "Late"}, 412,
                   "version", **editor(tokens, **{"If-Match": '"1"'}))  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/sources", NEW_SOURCE),
        ("PATCH", f"/api/sources/{SOURCE}", {"title": "Viewer was here"}),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "programme", "entity_id": 1,
                                    "confidence": "high"}),
        ("PATCH", "/api/citations/1", {"confidence": "low"}),
        ("DELETE", "/api/citations/1", None),
    ],
)  # fmt: skip
def test_viewers_may_not_write_sources_or_citations(client, engine, tokens, method, path, body):
    assert_refused(engine, client, method, path, body, 403, "role", **auth(tokens["viewer"]))


# --- general compilations, quotes and nations -----------------------------------------------


def test_a_source_is_marked_general_and_a_citation_quotes_it(client, engine, tokens):
    made = send(client, "POST", "/api/sources", NEW_SOURCE | {"general": True,
                "excerpt": "Two more A330 MRTT for the fleet."}, **editor(tokens))  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["general"] is True
    listed = client.get("/api/sources", params={"limit": 500}).json()["items"]
    assert {s["key"]: s["general"] for s in listed}["janes-2026"] is True
    body = {"source": "janes-2026", "entity": "programme", "entity_id": mmf_id(engine),
            "confidence": "medium", "quote": "two more A330 MRTT"}  # fmt: skip
    cited = send(client, "POST", "/api/citations", body, **editor(tokens))
    assert cited.status_code == 201, cited.text
    assert cited.json()["quote"] == "two more A330 MRTT"
    path = f"/api/citations/{cited.json()['id']}"
    changed = send(client, "PATCH", path, {"quote": "for the fleet"}, **editor(tokens))
    assert (changed.status_code, changed.json()["quote"]) == (200, "for the fleet")
    assert last_change(engine).after["quote"] == "for the fleet"  # type: ignore[index]
    detail = client.get("/api/sources/janes-2026").json()
    assert [c["quote"] for c in detail["cited_by"]] == ["for the fleet"]
    plain = send(client, "PATCH", "/api/sources/janes-2026", {"general": False}, **editor(tokens))
    assert (plain.status_code, plain.json()["general"], plain.headers["etag"]) == (200, False,
                                                                                  '"2"')  # fmt: skip


def test_a_nation_cites_a_source_by_its_numeric_code(client, engine, tokens):
    body = {"source": SOURCE, "entity": "nation", "entity_id": 528, "confidence": "medium"}
    answer = send(client, "POST", "/api/citations", body, **editor(tokens))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["entity_id"], answer.json()["record"]) == (528, "Netherlands")
    listed = client.get("/api/citations", params={"entity": "nation", "entity_id": 528})
    # Beside the source of its accession day, which the first data set cites.
    assert [c["source"] for c in listed.json()["items"]] == ["north-atlantic-treaty", SOURCE]


def test_the_check_is_not_a_source(client):
    answer = client.get("/api/sources/check")
    assert answer.status_code == 200
    assert set(answer.json()) == {"uncited", "unsupported", "overclaimed"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/api/sources", NEW_SOURCE | {"general": "yes"}, 400, "general"),
        ("POST", "/api/sources", NEW_SOURCE | {"key": "check"}, 422, "key"),
        ("PATCH", f"/api/sources/{SOURCE}", {"general": None}, 400, "general"),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "programme", "entity_id": 1,
                                    "confidence": "low", "quote": "x" * 1001}, 422, "quote"),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "programme", "entity_id": 1,
                                    "confidence": "low", "quote": 5}, 400, "quote"),
        ("POST", "/api/citations", {"source": SOURCE, "entity": "nation", "entity_id": 999,
                                    "confidence": "low"}, 404, "entity_id"),
        ("PATCH", "/api/citations/1", {"quote": "x" * 1001}, 422, "quote"),
    ],
)  # fmt: skip
def test_bad_general_quote_and_nation_values_are_refused_naming_the_field(
    client, engine, tokens, method, path, body, status, field
):
    assert_refused(engine, client, method, path, body, status, field, **editor(tokens))
