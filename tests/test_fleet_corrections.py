"""Fleet events are corrected and voided, never rewritten: the replaced row stays, readable
`as_known_on` before, with the reason in the change log; refusals leave the database as it was."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from registry.source_check import check_sources
from registry.sources import citations_for
from tests.conftest import dump
from tests.test_api_writes import PROBLEM_JSON, editor, send
from tests.test_history import newest_change, recorded_at

pytestmark = pytest.mark.usefixtures("seeded")

FLEET = "/api/programmes/mmf/fleet"


def timeline(client: TestClient[Any], **params: str) -> list[dict[str, Any]]:
    response = client.get(FLEET, params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def event(client: TestClient[Any], note: str, **params: str) -> dict[str, Any]:
    return next(e for e in timeline(client, **params) if e["note"] == note)


def size(client: TestClient[Any], **params: str) -> tuple[int, int, int]:
    fleet = client.get("/api/programmes/mmf", params=params).json()["fleet"]
    return fleet["ordered"], fleet["in_service"], fleet["on_order"]


def test_a_correction_replaces_the_event_and_the_old_one_stays_known_before(client, tokens):
    first = event(client, "MMF1")
    known_before = recorded_at(client, newest_change(client)["change_set"])
    response = send(client, "PATCH", f"{FLEET}/{first['id']}",
                    {"date": "2020-06-30", "reason": "the delivery was on the 30th"},
                    **editor(tokens, **{"If-Match": '"1"'}))  # fmt: skip
    assert response.status_code == 200, response.text
    corrected = response.json()
    assert corrected["id"] != first["id"]
    assert (corrected["corrects"], corrected["date"], corrected["count"]) == (
        first["id"], "2020-06-30", 1,
    )  # fmt: skip
    assert response.headers["etag"] == '"2"'
    assert event(client, "MMF1")["id"] == corrected["id"]
    assert first["id"] not in [e["id"] for e in timeline(client)]
    # As the registry knew it before: the old row, with its date.
    assert event(client, "MMF1", as_known_on=known_before) == first
    change = newest_change(client)
    assert (change["action"], change["entity"], change["before"]["event_date"]) == (
        "correct", "fleet_event", "2020-06-29",
    )  # fmt: skip
    assert change["after"]["reason"] == "the delivery was on the 30th"


def test_a_void_takes_the_event_out_of_every_total_and_keeps_it(client, tokens):
    last_order = max((e for e in timeline(client) if e["kind"] == "ordered"),
                      key=lambda e: e["date"])  # fmt: skip
    before = size(client)
    known_before = recorded_at(client, newest_change(client)["change_set"])
    response = send(client, "DELETE",
                    f"{FLEET}/{last_order['id']}?reason=entered+twice", **editor(tokens))  # fmt: skip
    assert response.status_code == 204, response.text
    count = last_order["count"]
    assert size(client) == (before[0] - count, before[1], before[2] - count)
    assert last_order["id"] not in [e["id"] for e in timeline(client)]
    assert size(client, as_known_on=known_before) == before
    change = newest_change(client)
    assert (change["action"], change["after"]) == ("void", {"reason": "entered twice"})


@pytest.mark.parametrize(
    ("method", "target", "body", "status", "field"),
    [
        pytest.param("PATCH", "MMF1", {"count": 1}, 400, "reason", id="no-reason"),
        pytest.param("PATCH", "MMF1", {"count": 5, "reason": "r"}, 422, "count",
                     id="more-delivered-than-ordered"),
        pytest.param("PATCH", "MMF1", {"date": "2015", "reason": "r"}, 422, "count",
                     id="delivered-before-any-order"),
        pytest.param("PATCH", "MMF1", {"kind": "lost", "reason": "r"}, 422, "kind",
                     id="bad-kind"),
        pytest.param("PATCH", "MMF1", {"count": 2, "reason": "   "}, 422, "reason",
                     id="blank-reason"),
        pytest.param("PATCH", 999999, {"count": 2, "reason": "r"}, 404, "id", id="unknown-id"),
        pytest.param("DELETE", "first-order", "reason=typo", 422, "count",
                     id="void-leaves-deliveries-without-orders"),
        pytest.param("DELETE", "MMF1", "reason=", 400, "reason", id="void-without-reason"),
        pytest.param("DELETE", "MMF1", "reason=%20%20", 400, "reason", id="void-with-a-blank-reason"),
        pytest.param("DELETE", "MMF1", "reason=a%00b", 400, "reason", id="void-reason-with-nul"),
        pytest.param("DELETE", 999999, "reason=typo", 404, "id", id="void-unknown-id"),
    ],
)  # fmt: skip
def test_corrections_and_voids_refused(
    engine: Engine,
    client: TestClient[Any],
    tokens: dict[str, str],
    method: str,
    target: str | int,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    if target == "first-order":
        target = min((e for e in timeline(client) if e["kind"] == "ordered"),
                     key=lambda e: e["date"])["id"]  # fmt: skip
    elif isinstance(target, str):
        target = event(client, target)["id"]
    before = dump(engine)
    if method == "DELETE":
        response = send(client, "DELETE", f"{FLEET}/{target}?{body}", **editor(tokens))
    else:
        response = send(client, "PATCH", f"{FLEET}/{target}", body, **editor(tokens))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    if field is not None:
        assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert dump(engine) == before


def test_a_stale_if_match_is_refused_and_a_corrected_event_cannot_be_corrected_again(
    engine, client, tokens
):
    first = event(client, "MMF2")
    path = f"{FLEET}/{first['id']}"
    stale = send(client, "PATCH", path, {"note": "MMF 2", "reason": "r"},
                 **editor(tokens, **{"If-Match": '"7"'}))  # fmt: skip
    assert stale.status_code == 412, stale.text
    done = send(client, "PATCH", path, {"note": "MMF 2", "reason": "name"}, **editor(tokens))
    assert done.status_code == 200, done.text
    before = dump(engine)
    again = send(client, "PATCH", path, {"note": "MMF two", "reason": "r"}, **editor(tokens))
    assert again.status_code == 404
    assert again.json()["errors"][0]["field"] == "id"
    assert dump(engine) == before


def test_a_viewer_cannot_correct_or_void(engine, client, tokens):
    target = event(client, "MMF1")["id"]
    before = dump(engine)
    viewer = {"Authorization": f"Bearer {tokens['viewer']}"}
    assert send(client, "PATCH", f"{FLEET}/{target}", {"count": 1, "reason": "r"},
                **viewer).status_code == 403  # fmt: skip
    assert send(client, "DELETE", f"{FLEET}/{target}?reason=r", **viewer).status_code == 403
    assert dump(engine) == before


def test_one_event_reads_as_held_and_as_known_before(client, tokens):
    first = event(client, "MMF3")
    path = f"{FLEET}/{first['id']}"
    assert client.get(path).json() == first
    assert client.get(path).headers["etag"] == '"1"'
    known_before = recorded_at(client, newest_change(client)["change_set"])
    corrected = send(client, "PATCH", path, {"count": 1, "note": "MMF 3", "reason": "name"},
                     **editor(tokens)).json()  # fmt: skip
    gone = client.get(path)
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["field"] == "id"
    assert client.get(path, params={"as_known_on": known_before}).json() == first
    assert client.get(f"{FLEET}/{corrected['id']}").json()["note"] == "MMF 3"


def test_a_corrected_event_cites_what_the_row_it_replaces_cited(engine, client, tokens):
    first = event(client, "MMF2")
    response = send(client, "PATCH", f"{FLEET}/{first['id']}",
                    {"date": "2020-08-11", "reason": "a day later"},
                    **editor(tokens, **{"If-Match": '"1"'}))  # fmt: skip
    assert response.status_code == 200, response.text
    corrected = response.json()["id"]
    with Session(engine) as session:
        old = [(s.key, c.confidence, c.quote) for c, s in citations_for(session, "fleet_event",
                                                                         first["id"])]  # fmt: skip
        new = [(s.key, c.confidence, c.quote) for c, s in citations_for(session, "fleet_event",
                                                                         corrected)]  # fmt: skip
        assert new == old != []
        assert check_sources(session).uncited == []
