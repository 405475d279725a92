"""The HTTP API's reads: lists, filters, paging, details, dates, problem details and the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import auth

pytestmark = pytest.mark.usefixtures("seeded")

PROBLEM_JSON = "application/problem+json"
MMF_2019 = {"NLD", "LUX", "DEU", "NOR", "BEL", "CZE"}
ALL_PROGRAMMES = [
    "critical-raw-materials",
    "mmf",
    "innovation-ranges",
    "task-force-x",
    "nspa-ammunition-support-partnership",
    "nspa-munitions-frameworks",
    "nspo-australia",
]  # ordered by name, the default sort
UNDATED = {
    "innovation-ranges",
    "task-force-x",
    "nspa-ammunition-support-partnership",
    "nspa-munitions-frameworks",
}  # the programmes without a launch date
ACTIVE = [slug for slug in ALL_PROGRAMMES if slug not in ("critical-raw-materials",
                                                          "innovation-ranges")]  # fmt: skip
MMF_2023_HOURS = (
    "Cost share from 2023: 2,000 of the 9,900 committed flight hours a year that a 2023 source "
    "gives (the same source gives 8,900 as the total); low confidence."
)
MMF_SHARE_UNKNOWN = (
    "Share unknown from 24 June 2025: Denmark and Sweden joined, and no new split is published."
)


def get_ok(client: TestClient[Any], path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def slugs(page: dict[str, Any]) -> list[str]:
    return [item["slug"] for item in page["items"]]


def codes(items: list[dict[str, Any]]) -> set[str]:
    return {item["nation"] for item in items}


def assert_problem(response: Any, status: int, field: str) -> dict[str, Any]:
    """An RFC 9457 problem naming `field` in its `errors` list."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance", "errors"} <= body.keys()
    assert body["instance"] == response.request.url.path
    assert field in [error["field"] for error in body["errors"]], body
    return body


def test_health_reports_the_database_reachable(client: TestClient[Any]) -> None:
    assert get_ok(client, "/health") == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param([({}, ALL_PROGRAMMES), ({"q": "tanker"}, ["mmf"]), ({"q": "MMF"}, ["mmf"]),
                      ({"q": "Innovation"}, ["innovation-ranges"])], id="q"),
        pytest.param([({"category": "partnership"}, ["nspo-australia"]),
                      ({"status": "active"}, ACTIVE), ({"status": "closed"}, []),
                      ({"status": "intent"}, ["critical-raw-materials"]),
                      ({"status": "announced"}, ["innovation-ranges"])],
                     id="category-status"),
        pytest.param([({"agency": "nspa"}, ["mmf", "nspa-ammunition-support-partnership",
                                            "nspa-munitions-frameworks"]),
                      ({"agency": "nspo", "status": "active"}, ["nspo-australia"])], id="agency"),
        pytest.param([({"nation": code, "as_of": "2025-07-01"}, ["critical-raw-materials", "mmf"])
                      for code in ("DNK", "dk", "Denmark")], id="nation-code-forms"),
        pytest.param([({"nation": "DNK", "as_of": "2025-06-23"}, []),
                      ({"nation": "NLD", "as_of": "2019-12-31"}, ["mmf"]),
                      ({"nation": "Australia", "as_of": "2025-07-01"}, ["nspo-australia"])],
                     id="nation-as-of"),
    ],
)  # fmt: skip
def test_programme_list_filters(
    client: TestClient[Any], cases: list[tuple[dict[str, str], list[str]]]
) -> None:
    for params, expected in cases:
        page = get_ok(client, "/api/programmes", **params)
        assert slugs(page) == expected, params
        assert page["total"] == len(expected), params


def test_programme_list_sorts_both_ways(client: TestClient[Any]) -> None:
    for sort in ("slug", "-slug", "name", "-name"):
        keys = [
            item[sort.lstrip("-")] for item in get_ok(client, "/api/programmes", sort=sort)["items"]
        ]
        assert keys == sorted(keys, reverse=sort.startswith("-")), sort
        assert len(keys) == len(ALL_PROGRAMMES)
    # Programmes without a launch date come last both ways, as values missing do in every list.
    for sort, mmf_at in (("launched", 0), ("-launched", -1)):  # mmf: 2012, the earliest
        found = slugs(get_ok(client, "/api/programmes", sort=sort))
        assert set(found[-len(UNDATED) :]) == UNDATED, sort
        assert found[: -len(UNDATED)][mmf_at] == "mmf", sort


def test_programme_list_pages_with_the_full_total(client: TestClient[Any]) -> None:
    for limit, offset, expected in [
        (2, 0, ALL_PROGRAMMES[:2]), (2, 2, ALL_PROGRAMMES[2:4]), (2, 4, ALL_PROGRAMMES[4:6]),
        (2, 6, ALL_PROGRAMMES[6:]), (500, 0, ALL_PROGRAMMES), (1, 9, []),
    ]:  # fmt: skip
        page = get_ok(client, "/api/programmes", limit=limit, offset=offset)
        assert slugs(page) == expected
        assert (page["total"], page["limit"], page["offset"]) == (7, limit, offset)


@pytest.mark.parametrize(
    "path", ["/api/programmes", "/api/contracts", "/api/changes", "/api/nations",
             "/api/organisations"],
)  # fmt: skip
def test_every_list_pages_and_refuses_a_limit_outside_1_to_500(
    client: TestClient[Any], path: str
) -> None:
    everything = get_ok(client, path, limit=500)
    page = get_ok(client, path, limit=2, offset=1)
    assert page["items"] == everything["items"][1:3]
    assert (page["total"], page["limit"], page["offset"]) == (everything["total"], 2, 1)
    for limit in ("0", "501", "100000"):
        assert_problem(client.get(path, params={"limit": limit}), 400, "limit")
    assert_problem(client.get(path, params={"offset": "-1"}), 400, "offset")


@pytest.mark.parametrize(
    ("path", "cases"),
    [
        ("/api/programmes", [({"sort": "colour"}, 422, "sort"), ({"nation": "Atlantis"}, 422, "nation"),
                             ({"as_of": "yesterday"}, 400, "as_of")]),
        ("/api/programmes/mmf", [({"as_of": "2025-02-30"}, 400, "as_of")]),
        ("/api/contracts", [({"currency": "XYZ"}, 422, "currency"), ({"min_value": "lots"}, 422, "min_value"),
                            ({"signed_from": "2025-13-01"}, 400, "signed_from"), ({"sort": "colour"}, 422, "sort")]),
        ("/api/changes", [({"since": "last tuesday"}, 400, "since")]),
    ],
)  # fmt: skip
def test_bad_query_values_are_problems_naming_the_parameter(
    client: TestClient[Any], path: str, cases: list[tuple[dict[str, str], int, str]]
) -> None:
    for params, status, field in cases:
        assert_problem(client.get(path, params=params), status, field)


def test_programme_detail_uses_the_contract_wire_names(client: TestClient[Any]) -> None:
    response = client.get("/api/programmes/mmf", params={"as_of": "2025-06-24"})
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert {
        k: body[k]
        for k in ("slug", "name", "acronym", "category", "status", "managing_organisation",
                  "launched", "asset_type", "as_of")
    } == {
        "slug": "mmf",
        "name": "Multinational Multi Role Tanker Transport Fleet",
        "acronym": "MMF",
        "category": "multinational-fleet",
        "status": "active",
        "managing_organisation": "nspa",
        "launched": "2012",
        "asset_type": "A330 MRTT",
        "as_of": "2025-06-24",
    }  # fmt: skip
    assert body["contract_totals"] == [{"currency": "EUR", "amount": "265000000.00"}]
    assert body["fleet"] == {"asset_type": "A330 MRTT", "ordered": 12, "in_service": 9,
                             "on_order": 3}  # fmt: skip
    netherlands = next(m for m in body["members"] if m["nation"] == "NLD")
    assert netherlands | {"version": 1} == {
        "nation": "NLD", "nation_name": "Netherlands", "role": "lead", "instrument": "agreement",
        "joined": "2014-11", "left": None, "cost_share": None, "note": MMF_SHARE_UNKNOWN,
        "version": 1,
    }  # fmt: skip
    # Between 2023 and the enlargement the 2023 shares held: a decimal string.
    earlier = get_ok(client, "/api/programmes/mmf", as_of="2024-01-01")["members"]
    netherlands = next(m for m in earlier if m["nation"] == "NLD")
    assert (netherlands["cost_share"], netherlands["note"]) == ("20.20", MMF_2023_HOURS)


def test_programme_detail_without_contracts_or_fleet(client: TestClient[Any]) -> None:
    body = get_ok(client, "/api/programmes/nspo-australia", as_of="2025-07-01")
    assert body["fleet"] is None
    assert body["contract_totals"] == []
    assert body["managing_organisation"] == "nspo"
    assert [(m["nation"], m["role"]) for m in body["members"]] == [("AUS", "partner")]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2014-10-31", set()), ("2019-12-31", MMF_2019), ("2025-07-01", MMF_2019 | {"DNK", "SWE"})],
)
def test_mmf_members_on_a_date(client: TestClient[Any], as_of: str, expected: set[str]) -> None:
    detail = get_ok(client, "/api/programmes/mmf", as_of=as_of)
    participants = get_ok(client, "/api/programmes/mmf/participants", as_of=as_of)
    assert codes(detail["members"]) == expected
    assert codes(participants["items"]) == expected
    assert participants["total"] == len(expected)


@pytest.mark.parametrize(
    ("as_of", "fleet"),
    [
        ("2016-06-30", None),
        ("2024-12-30", (10, 8, 2)),
        ("2024-12-31", (10, 9, 1)),  # MMF9, "delivered in 2024", counts from the end of 2024
        ("2025-06-24", (12, 9, 3)),
    ],
)
def test_mmf_fleet_on_a_date(
    client: TestClient[Any], as_of: str, fleet: tuple[int, int, int] | None
) -> None:
    body = get_ok(client, "/api/programmes/mmf", as_of=as_of)
    expected: dict[str, Any] | None = None
    if fleet is not None:
        expected = {"asset_type": "A330 MRTT"}
        expected |= dict(zip(("ordered", "in_service", "on_order"), fleet, strict=True))
    assert body["fleet"] == expected


def test_fleet_timeline_carries_running_totals(client: TestClient[Any]) -> None:
    items = get_ok(client, "/api/programmes/mmf/fleet")["items"]
    assert len(items) == 15
    ordered = delivered = 0
    for item in items:
        ordered += item["count"] if item["kind"] == "ordered" else 0
        delivered += item["count"] if item["kind"] == "delivered" else 0
        assert (item["ordered"], item["in_service"], item["on_order"]) == (
            ordered, delivered, ordered - delivered,
        )  # fmt: skip
    assert (items[0]["date"], items[0]["kind"], items[0]["contract"] is not None) == (
        "2016-07", "ordered", True,
    )  # fmt: skip
    assert (ordered, delivered) == (12, 9)


def test_participants_include_past_spells_on_request(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    left = client.patch(
        "/api/programmes/mmf/participants/SWE", json={"left": "2025-12-31"},
        headers=auth(tokens["editor"]),
    )  # fmt: skip
    assert left.status_code == 200, left.text
    assert "SWE" not in codes(get_ok(client, "/api/programmes/mmf/participants")["items"])
    on_the_day = get_ok(client, "/api/programmes/mmf/participants", as_of="2025-07-01")
    assert "SWE" in codes(on_the_day["items"])
    history = get_ok(client, "/api/programmes/mmf/participants", include_past="true")
    assert codes(history["items"]) == MMF_2019 | {"DNK", "SWE"}
    assert history["total"] == 8
    sweden = next(item for item in history["items"] if item["nation"] == "SWE")
    assert (sweden["joined"], sweden["left"]) == ("2025-06-24", "2025-12-31")


def test_participant_detail_with_etag(client: TestClient[Any]) -> None:
    for nation in ("NLD", "nl", "Netherlands"):
        response = client.get(f"/api/programmes/mmf/participants/{nation}")
        assert response.status_code == 200, response.text
        # Joined, then its share from 2023, then none from 24 June 2025: three writes.
        assert response.headers["etag"] == '"3"'
        body = response.json()
        assert body["version"] == 3
        assert (body["nation"], body["role"], body["joined"], body["cost_share"], body["note"]) == (
            "NLD", "lead", "2014-11", None, MMF_SHARE_UNKNOWN,
        )  # fmt: skip


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param([({"currency": "EUR"}, ["mmf-order-2023", "nspa-munitions-2025"]),
                      ({"currency": "USD"}, [])], id="currency"),
        pytest.param([({"min_value": "1000000000"}, ["nspa-munitions-2025"]),
                      ({"min_value": "265000000.00", "currency": "EUR"}, ["mmf-order-2023", "nspa-munitions-2025"]),
                      ({"min_value": "265000000.01"}, ["nspa-munitions-2025"])], id="min-value"),
        pytest.param([({"programme": "nspa-munitions-frameworks"}, ["nspa-munitions-2025"]),
                      ({"contractor": "airbus-defence-and-space", "signed_from": "2020-01-01"},
                       ["mmf-order-2020", "mmf-order-2023", "mmf-order-2025"])], id="programme-contractor"),
        pytest.param([({"signed_from": "2017-01-01", "signed_to": "2018-12-31"}, ["mmf-order-2017", "mmf-order-2018"])],
                     id="signed-range"),
        pytest.param([({"programme": "mmf", "sort": "-signed"}, [f"mmf-order-{y}" for y in (2025, 2023, 2020, 2018, 2017, 2016)]),
                      ({"currency": "eur", "sort": "-value"}, ["nspa-munitions-2025", "mmf-order-2023"]),
                      ({"sort": "reference", "currency": "EUR"}, ["mmf-order-2023", "nspa-munitions-2025"])],
                     id="sort"),
        # Contracts without a value sort after those with one, on every database.
        pytest.param([({"sort": "-value", "limit": "2"}, ["nspa-munitions-2025", "mmf-order-2023"]),
                      ({"sort": "value", "limit": "2"}, ["mmf-order-2023", "nspa-munitions-2025"])],
                     id="sort-value-without-values-last"),
    ],
)  # fmt: skip
def test_contract_list_filters_and_sorts(
    client: TestClient[Any], cases: list[tuple[dict[str, str], list[str]]]
) -> None:
    for params, expected in cases:
        page = get_ok(client, "/api/contracts", **params)
        assert [item["reference"] for item in page["items"]] == expected, params
        if "limit" not in params:
            assert page["total"] == len(expected), params


def test_contract_value_is_a_decimal_string_with_its_currency(client: TestClient[Any]) -> None:
    page = get_ok(client, "/api/contracts", programme="nspa-munitions-frameworks")
    (contract,) = page["items"]
    assert contract["value"] == {"amount": "4700000000.00", "currency": "EUR"}
    assert (contract["programme"], contract["signed"], contract["awarding_organisation"]) == (
        "nspa-munitions-frameworks", "2025-01-01/2025-06-24", "nspa",
    )  # fmt: skip
    first = get_ok(client, "/api/programmes/mmf/contracts", sort="signed", limit=1)["items"][0]
    assert (first["reference"], first["value"], first["quantity"]) == ("mmf-order-2016", None, 2)
    assert first["contractor"] == "airbus-defence-and-space"


@pytest.mark.parametrize("code", ["SWE", "se", "Sweden"])
def test_nation_detail_accepts_any_code_and_answers_alpha_3(
    client: TestClient[Any], code: str
) -> None:
    body = get_ok(client, f"/api/nations/{code}", as_of="2025-07-01")
    assert (body["code"], body["name"], body["kind"], body["nato_member_since"]) == (
        "SWE", "Sweden", "ally", "2024-03-07",
    )  # fmt: skip
    assert body["as_of"] == "2025-07-01"
    assert {p["slug"] for p in body["programmes"]} == {
        "critical-raw-materials", "innovation-ranges", "mmf",
    }  # fmt: skip
    before = get_ok(client, f"/api/nations/{code}", as_of="2025-06-23")
    assert before["programmes"] == []


def test_nation_detail_shows_role_and_share(client: TestClient[Any]) -> None:
    body = get_ok(client, "/api/nations/Netherlands", as_of="2024-01-01")  # a 2023 share
    assert body["programmes"] == [
        {"slug": "mmf", "name": "Multinational Multi Role Tanker Transport Fleet",
         "role": "lead", "instrument": "agreement", "joined": "2014-11", "left": None,
         "cost_share": "20.20"},
    ]  # fmt: skip


def test_nation_list(client: TestClient[Any]) -> None:
    for kind, total in ((None, 33), ("ally", 32), ("partner", 1)):
        page = get_ok(client, "/api/nations", **({"kind": kind} if kind else {}))
        assert page["total"] == len(page["items"]) == total
        by_code = {n["code"]: n for n in page["items"]}
        if kind != "ally":
            assert by_code["AUS"] == {"code": "AUS", "name": "Australia", "kind": "partner",
                                      "nato_member_since": None}  # fmt: skip
        if kind != "partner":
            assert by_code["SWE"]["nato_member_since"] == "2024-03-07"


def test_organisation_list_and_detail(client: TestClient[Any]) -> None:
    for kind, expected in [
        (
            None,
            {
                "nspa",
                "nspo",
                "occar",
                "eda",
                "nato",
                "airbus-defence-and-space",
                "nexter-knds",
                "junghans",
            },
        ),
        ("agency", {"nspa", "occar", "eda"}),
        ("contractor", {"airbus-defence-and-space", "nexter-knds", "junghans"}),
    ]:
        page = get_ok(client, "/api/organisations", **({"kind": kind} if kind else {}))
        assert set(slugs(page)) == expected
        assert page["total"] == len(expected)
    response = client.get("/api/organisations/nspa")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == {
        "slug": "nspa", "name": "NATO Support and Procurement Agency", "kind": "agency",
        "country": None, "version": 1,
        "manages": ["mmf", "nspa-ammunition-support-partnership", "nspa-munitions-frameworks"],
    }  # fmt: skip


def test_changes_filter_newest_first(client: TestClient[Any], tokens: dict[str, str]) -> None:
    started = get_ok(client, "/api/changes", limit=1)["items"][0]["at"]
    headers = auth(tokens["editor"])
    for name in ("First rename", "Second rename"):
        response = client.patch("/api/programmes/mmf", json={"name": name}, headers=headers)
        assert response.status_code == 200, response.text
    mine = get_ok(client, "/api/changes", actor="editor")
    assert [c["after"]["name"] for c in mine["items"]] == ["Second rename", "First rename"]
    assert mine["items"][0]["before"]["name"] == "First rename"
    assert {(c["entity"], c["key"], c["action"]) for c in mine["items"]} == {
        ("programme", "mmf", "update")
    }
    assert mine["total"] == 2
    ids = [c["id"] for c in get_ok(client, "/api/changes", limit=500)["items"]]
    assert ids == sorted(ids, reverse=True)
    history = get_ok(client, "/api/changes", entity="programme", key="mmf")["items"]
    assert [c["action"] for c in history] == ["update", "update", "create"]
    dane = get_ok(client, "/api/changes", entity="participation", key="mmf/DNK")["items"]
    assert [(c["action"], c["after"]["nation_code"]) for c in dane] == [("create", "DNK")]
    assert get_ok(client, "/api/changes", actor="nobody")["items"] == []
    since = get_ok(client, "/api/changes", since=started)
    assert {c["actor"] for c in since["items"]} >= {"editor"}
    assert get_ok(client, "/api/changes", since="2999-01-01T00:00:00Z")["items"] == []


def test_change_times_carry_their_timezone(client: TestClient[Any]) -> None:
    at = get_ok(client, "/api/changes", limit=1)["items"][0]["at"]
    assert datetime.fromisoformat(at).tzinfo is not None, at


def test_changes_since_honours_timezone_offsets(client: TestClient[Any]) -> None:
    newest = get_ok(client, "/api/changes", limit=1)["items"][0]
    at = datetime.fromisoformat(newest["at"])
    at = at if at.tzinfo else at.replace(tzinfo=UTC)  # stored in UTC
    plus_two = timezone(timedelta(hours=2))
    just_before = (at - timedelta(minutes=30)).astimezone(plus_two).isoformat()
    just_after = (at + timedelta(minutes=30)).astimezone(plus_two).isoformat()
    found = get_ok(client, "/api/changes", since=just_before)["items"]
    assert newest["id"] in [c["id"] for c in found], just_before
    assert get_ok(client, "/api/changes", since=just_after)["items"] == []


@pytest.mark.parametrize(
    ("paths", "field"),
    [
        pytest.param(["/api/programmes/nope", "/api/programmes/nope/participants",
                      "/api/programmes/nope/contracts", "/api/programmes/nope/fleet"],
                     "slug", id="programme"),
        pytest.param(["/api/programmes/mmf/participants/FRA"], "nation", id="member"),
        pytest.param(["/api/nations/Atlantis", "/api/nations/zz"], "code", id="nation"),
        pytest.param(["/api/organisations/nope"], "slug", id="organisation"),
    ],
)  # fmt: skip
def test_unknown_records_are_404_problems(
    client: TestClient[Any], paths: list[str], field: str
) -> None:
    for path in paths:
        body = assert_problem(client.get(path), 404, field)
        assert body["type"] == "/problems/not-found"
        assert body["title"]
        assert body["detail"]
    unknown_route = client.get("/api/nothing-here")
    assert unknown_route.status_code == 404
    assert unknown_route.headers["content-type"].startswith(PROBLEM_JSON)
    assert unknown_route.json()["status"] == 404


def test_cached_detail_changes_after_a_write(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    for _ in range(2):  # the second answer comes from the cache
        first = client.get("/api/programmes/mmf", params={"as_of": "2025-07-01"})
        assert (first.json()["name"], first.headers["etag"]) == (
            "Multinational Multi Role Tanker Transport Fleet", '"1"',
        )  # fmt: skip
    headers = auth(tokens["editor"]) | {"If-Match": '"1"'}
    renamed = client.patch("/api/programmes/mmf", json={"name": "Tanker fleet"}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    after = client.get("/api/programmes/mmf", params={"as_of": "2025-07-01"})
    assert (after.json()["name"], after.headers["etag"]) == ("Tanker fleet", '"2"')
    joined = client.post(
        "/api/programmes/mmf/participants", json={"nation": "FIN", "joined": "2025-06-30"},
        headers=auth(tokens["editor"]),
    )  # fmt: skip
    assert joined.status_code == 201, joined.text
    members = client.get("/api/programmes/mmf", params={"as_of": "2025-07-01"}).json()["members"]
    assert "FIN" in codes(members)


def test_cached_detail_is_gone_after_delete(
    client: TestClient[Any], tokens: dict[str, str]
) -> None:
    created = client.post(
        "/api/programmes", json={"slug": "short-lived", "name": "Short", "category": "innovation"},
        headers=auth(tokens["editor"]),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert client.get("/api/programmes/short-lived").status_code == 200
    deleted = client.delete("/api/programmes/short-lived", headers=auth(tokens["admin"]))
    assert deleted.status_code == 204, deleted.text
    assert_problem(client.get("/api/programmes/short-lived"), 404, "slug")
