"""History on two axes through the API: changes from a date keep the past, corrections stay
visible to `as_known_on` before them, every write is one change set, reads take both axes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine

from tests.test_api_writes import assert_refused, editor, send

pytestmark = pytest.mark.usefixtures("seeded")
MMF = "/api/programmes/mmf"


def members(client: TestClient[Any], **params: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"{MMF}/participants", params={"limit": "500", **params})
    assert response.status_code == 200, response.text
    return {item["nation"]: item for item in response.json()["items"]}


def patch(client: TestClient[Any], tokens: dict[str, str], nation: str, body: Any) -> Any:
    response = send(client, "PATCH", f"{MMF}/participants/{nation}", body, **editor(tokens))
    assert response.status_code == 200, response.text
    return response.json()


def newest_change(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/api/changes", params={"limit": "1"})
    assert response.status_code == 200
    change: dict[str, Any] = response.json()["items"][0]
    return change


def recorded_at(client: TestClient[Any], number: int) -> str:
    response = client.get(f"/api/change-sets/{number}")
    assert response.status_code == 200, response.text
    return str(response.json()["recorded_at"])


def test_a_change_without_a_date_holds_from_today_and_keeps_the_past(client, tokens):
    """The reported bug: PATCH with a role and a share rewrote the Netherlands' whole spell.
    (The seeded shares hold from 2023 until 24 June 2025: the past read is in 2024.)"""
    before = members(client, as_of="2024")["NLD"]
    assert (before["role"], before["cost_share"]) == ("lead", "20.20")
    patch(client, tokens, "NLD", {"role": "observer", "cost_share": "1"})
    assert members(client, as_of="2024")["NLD"] == before | {"version": before["version"] + 1}
    detail = client.get(MMF, params={"as_of": "2024-12-31"}).json()
    nld = next(m for m in detail["members"] if m["nation"] == "NLD")
    assert (nld["role"], nld["cost_share"], nld["joined"]) == ("lead", "20.20", "2014-11")
    now = members(client)["NLD"]
    assert (now["role"], now["cost_share"], now["joined"]) == ("observer", "1.00", "2014-11")


def test_a_change_from_a_date_splits_the_terms_there(client, tokens):
    patch(client, tokens, "NLD", {"cost_share": "18", "effective": "2024-07"})
    assert members(client, as_of="2024-06-30")["NLD"]["cost_share"] == "20.20"
    assert members(client, as_of="2024-07-01")["NLD"]["cost_share"] == "18.00"
    assert members(client, as_of="2024-07-01")["NLD"]["role"] == "lead"
    assert members(client)["NLD"]["cost_share"] == "18.00"


def test_a_correction_is_seen_only_by_reads_as_known_after_it(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    patch(client, tokens, "NLD", {"cost_share": "19.5", "correction": True})
    assert members(client, as_of="2016")["NLD"]["cost_share"] == "19.50"
    assert members(client, as_of="2024")["NLD"]["cost_share"] == "19.50"
    assert members(client)["NLD"]["cost_share"] == "19.50"
    old = members(client, as_of="2024", as_known_on=known_before)["NLD"]
    assert old["cost_share"] == "20.20"
    change = newest_change(client)
    assert (change["action"], change["entity"], change["key"]) == (
        "correct",
        "participation",
        "mmf/NLD",
    )
    assert change["after"]["correction"] is True


def test_as_known_on_a_day_before_any_write_sees_no_members(client):
    assert members(client, as_known_on="2000-01-01") == {}
    assert (
        client.get(f"{MMF}/participants", params={"as_known_on": "2000-01-01T00:00:00Z"}).json()[
            "items"
        ]
        == []
    )


def test_a_member_on_a_date_shows_no_later_left(client, tokens):
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    on_the_eve = members(client, as_of="2026-01-14")
    assert on_the_eve["DNK"]["left"] is None
    assert "DNK" not in members(client, as_of="2026-01-15")
    past = members(client, include_past="true")
    assert past["DNK"]["left"] == "2026-01-15"


def test_partial_as_of_dates_mean_the_end_of_the_period(client):
    assert client.get(MMF, params={"as_of": "2019"}).json() == client.get(
        MMF, params={"as_of": "2019-12-31"}
    ).json() | {"as_of": "2019-12-31"}
    assert client.get(MMF, params={"as_of": "2019-06"}).json()["as_of"] == "2019-06-30"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2019-02-30"}, "as_of"),
        ({"as_of": "2019-13"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_known_on": "2026-03-01T12:00:00"}, "as_known_on"),  # no offset
        ({"as_known_on": "March"}, "as_known_on"),
        ({"as_known_on": "2023-02-29"}, "as_known_on"),
    ],
)
def test_bad_dates_on_either_axis_are_400_naming_the_parameter(client, params, field):
    for path in (MMF, f"{MMF}/participants", "/api/nations/NLD", "/api/programmes"):
        response = client.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        assert field in [e.get("field", e.get("key")) for e in response.json()["errors"]]


def test_contract_totals_count_only_contracts_signed_by_the_date(client):
    contracts = client.get(f"{MMF}/contracts", params={"limit": "500"}).json()["items"]
    assert any(c["signed"] and c["signed"] > "2020" for c in contracts)
    for as_of in ("2016-12-31", "2019-12-31", "2030-01-01"):
        expected: dict[str, Decimal] = {}
        for contract in contracts:
            value = contract["value"]
            if value is None or (contract["signed"] and contract["signed"] > as_of):
                continue
            expected[value["currency"]] = expected.get(value["currency"], Decimal(0)) + Decimal(
                value["amount"]
            )
        totals = client.get(MMF, params={"as_of": as_of}).json()["contract_totals"]
        assert {t["currency"]: Decimal(t["amount"]) for t in totals} == expected


def test_the_fleet_timeline_stops_at_as_of_and_agrees_with_the_detail(client):
    every = client.get(f"{MMF}/fleet", params={"limit": "500"}).json()["items"]
    upto = client.get(f"{MMF}/fleet", params={"limit": "500", "as_of": "2020"}).json()["items"]
    assert 0 < len(upto) < len(every)
    assert all(point["date"] <= "2020-12-31" for point in upto)
    fleet = client.get(MMF, params={"as_of": "2020"}).json()["fleet"]
    last = upto[-1]
    assert (fleet["ordered"], fleet["in_service"], fleet["on_order"]) == (
        last["ordered"], last["in_service"], last["on_order"],
    )  # fmt: skip


def test_one_request_is_one_change_set_with_its_changes(client, tokens):
    response = send(
        client, "PATCH", f"{MMF}/participants/NLD", {"role": "participant"},
        **editor(tokens, **{"X-Request-ID": "history-test-1"}),
    )  # fmt: skip
    assert response.status_code == 200
    change = newest_change(client)
    assert change["entity_id"] is not None
    found = client.get(f"/api/change-sets/{change['change_set']}").json()
    assert (found["actor"], found["request_id"]) == ("editor", "history-test-1")
    assert [c["id"] for c in found["changes"]] == [change["id"]]
    assert client.get("/api/change-sets/999999").status_code == 404


def test_a_nations_programmes_follow_both_axes(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    patch(client, tokens, "NLD", {"role": "observer", "effective": "2020"})
    on = {
        p["slug"]: p
        for p in client.get("/api/nations/NLD", params={"as_of": "2021"}).json()["programmes"]
    }
    assert on["mmf"]["role"] == "observer"
    earlier = client.get("/api/nations/NLD", params={"as_of": "2021", "as_known_on": known_before})
    assert {p["slug"]: p["role"] for p in earlier.json()["programmes"]}["mmf"] == "lead"


# --- refusals: status, field, database unchanged -------------------------------------------


def test_a_change_before_the_nation_joined_is_refused(engine: Engine, client, tokens):
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/NLD",
                   {"role": "observer", "effective": "2010"}, 422, "effective",
                   **editor(tokens))  # fmt: skip


def test_a_change_taking_shares_above_100_percent_in_the_past_is_refused(engine, client, tokens):
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/NLD",
                   {"cost_share": "99", "effective": "2016"}, 422, "cost_share",
                   **editor(tokens))  # fmt: skip


def test_leaving_before_a_recorded_change_is_refused(engine, client, tokens):
    patch(client, tokens, "NLD", {"role": "participant", "effective": "2022"})
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/NLD", {"left": "2021-06"},
                   422, "left", **editor(tokens))  # fmt: skip


def test_an_effective_date_that_is_no_date_is_refused(engine, client, tokens):
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/NLD",
                   {"role": "observer", "effective": "2020-02-30"}, 422, "effective",
                   **editor(tokens))  # fmt: skip


def test_a_correction_after_the_spell_ended_is_refused(engine, client, tokens):
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/DNK",
                   {"role": "observer", "correction": True, "effective": "2026-02"}, 422,
                   "effective", **editor(tokens))  # fmt: skip


def test_a_correction_can_move_a_recorded_leave(client, tokens):
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    patch(client, tokens, "DNK", {"left": "2026-02-01", "correction": True})
    assert members(client, include_past="true")["DNK"]["left"] == "2026-02-01"
    assert "DNK" in members(client, as_of="2026-01-20")


def test_as_known_on_today_sees_what_was_just_written(client, tokens):
    patch(client, tokens, "NLD", {"role": "observer", "effective": "2020"})
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert members(client, as_of="2021", as_known_on=tomorrow)["NLD"]["role"] == "observer"


# --- what changed between two dates or two moments -----------------------------------------


def diff(client: TestClient[Any], **params: str) -> dict[str, Any]:
    response = client.get(f"{MMF}/diff", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_diff_between_two_dates_lists_joins_leaves_changes_fleet_and_contracts(client, tokens):
    patch(client, tokens, "NLD", {"cost_share": "18", "effective": "2024-07"})
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    start, end = "2019-12-31", "2026-06-30"
    found = diff(client, **{"from": start, "to": end})
    assert (found["from"], found["to"]) == (start, end)
    assert {
        "nation": "NLD", "field": "cost_share", "before": "20.20", "after": "18.00",
        "effective": "2024-07",
    } in found["changed"]  # fmt: skip
    assert [m["nation"] for m in found["left"]] == ["DNK"]
    assert found["left"][0]["left"] == "2026-01-15"
    every = members(client, include_past="true").values()
    assert sorted(m["nation"] for m in found["joined"]) == sorted(
        m["nation"] for m in every if start < _day_of(m["joined"]) <= end
    )
    for side, day_ in (("before", start), ("after", end)):
        assert found["fleet"][side] == client.get(MMF, params={"as_of": day_}).json()["fleet"]
    signed = client.get(f"{MMF}/contracts", params={"limit": "500"}).json()["items"]
    assert sorted(c["id"] for c in found["contracts"]) == sorted(
        c["id"] for c in signed if c["signed"] and start < _day_of(c["signed"]) <= end
    )


def _day_of(text: str) -> str:
    """The first day of a partial date, as the registry counts it."""
    return {4: f"{text}-01-01", 7: f"{text}-01"}.get(len(text), text)


def test_the_diff_between_two_moments_shows_what_was_corrected(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    patch(client, tokens, "NLD", {"cost_share": "19.5", "correction": True})
    found = diff(client, known_from=known_before)
    # The correction holds over the whole spell: each of the seeded terms (no share before
    # 2023, 20.20 from 2023, unknown from 24 June 2025) is corrected from its own start.
    assert found["changed"] == [
        {"nation": "NLD", "field": "cost_share", "before": before, "after": "19.50",
         "effective": effective}
        for before, effective in ((None, "2014-11"), ("20.20", "2023"), (None, "2025-06-24"))
    ]  # fmt: skip
    assert (found["joined"], found["left"], found["contracts"]) == ([], [], [])
    assert found["fleet"]["before"] == found["fleet"]["after"]
    assert diff(client, known_from=known_before, known_to=known_before)["changed"] == []


def test_the_diff_between_two_moments_lists_what_was_recorded(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    joined = send(client, "POST", f"{MMF}/participants", {"nation": "FIN", "joined": "2025-07"},
                  **editor(tokens))  # fmt: skip
    assert joined.status_code == 201, joined.text
    ordered = send(client, "POST", f"{MMF}/fleet",
                   {"date": "2025-08-01", "kind": "ordered", "count": 2}, **editor(tokens))  # fmt: skip
    assert ordered.status_code == 201, ordered.text
    found = diff(client, known_from=known_before)
    assert [m["nation"] for m in found["joined"]] == ["FIN"]
    assert found["fleet"]["after"]["ordered"] == found["fleet"]["before"]["ordered"] + 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2020", "to": "2019"}, "to"),
        ({"known_from": "2026-03-01", "from": "2020"}, "from"),
        ({"from": "2019-02-29"}, "from"),
        ({"known_from": "2026-03-01", "known_to": "2026-02-01"}, "known_to"),
        ({"known_from": "2026-03-01", "to": "2026-04-01"}, "to"),
    ],
)
def test_a_diff_without_a_sound_pair_of_dates_is_400_naming_the_parameter(client, params, field):
    response = client.get(f"{MMF}/diff", params=params)
    assert response.status_code == 400, response.text
    assert field in [e.get("field", e.get("key")) for e in response.json()["errors"]]


def test_a_diff_without_from_holds_everything_up_to_to(client):
    every = members(client, include_past="true")
    found = diff(client, to="2030")
    assert found["from"] == "1899-12-31"
    assert sorted(m["nation"] for m in found["joined"]) == sorted(every)


def test_a_diff_of_a_programme_the_registry_does_not_hold_is_404(client):
    assert client.get("/api/programmes/nothing/diff", params={"from": "2020"}).status_code == 404


# --- reports on both axes ------------------------------------------------------------------


def test_the_programme_report_lists_what_changed_since_a_day(client, tokens):
    patch(client, tokens, "NLD", {"cost_share": "18", "effective": "2024-07"})
    html = client.get("/reports/programmes/mmf", params={"as_of": "2024", "since": "2023"}).text
    assert "Changes since 31 December 2023" in html
    assert "Netherlands: cost share 20.20 % → 18.00 % from July 2024" in html
    plain = client.get("/reports/programmes/mmf", params={"as_of": "2024"}).text
    assert "Changes since" not in plain


def test_a_report_as_known_before_a_correction_shows_the_old_value(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    patch(client, tokens, "NLD", {"cost_share": "19.5", "correction": True})
    # On a day in 2024, when the seeded shares are known (today every share is unknown).
    now = client.get("/reports/programmes/mmf", params={"as_of": "2024"}).text
    then = client.get("/reports/programmes/mmf",
                      params={"as_of": "2024", "as_known_on": known_before}).text  # fmt: skip
    assert "19.50 %" in now
    assert "19.50 %" not in then
    assert "20.20 %" in then
    assert "as the registry knew it on" in then


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "2021", "as_of": "2020"}, "since"), ({"as_known_on": "2026-02-30"}, "as_known_on")],
)
def test_bad_report_dates_are_400_naming_the_parameter(client, params, field):
    response = client.get("/reports/programmes/mmf", params=params)
    assert response.status_code == 400, response.text
    assert field in [e.get("field", e.get("key")) for e in response.json()["errors"]]


# --- programmes: status and managing organisation on both axes -------------------------------


def test_closing_a_programme_from_a_date_keeps_it_active_before(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    response = send(client, "PATCH", MMF, {"status": "closed", "effective": "2030-01"},
                    **editor(tokens))  # fmt: skip
    assert response.status_code == 200, response.text
    status = lambda **p: client.get(MMF, params=p).json()["status"]  # noqa: E731
    assert (status(as_of="2029-12-31"), status(as_of="2030-01-01")) == ("active", "closed")
    assert status(as_of="2030-06", as_known_on=known_before) == "active"
    listed = client.get("/api/programmes", params={"status": "closed", "as_of": "2031"}).json()
    assert [p["slug"] for p in listed["items"]] == ["mmf"]
    assert client.get("/api/programmes", params={"status": "closed"}).json()["items"] == []


def test_a_new_managing_organisation_from_a_date_keeps_the_old_one_before(client, tokens):
    before = client.get(MMF, params={"as_of": "2020"}).json()["managing_organisation"]
    response = send(client, "PATCH", MMF, {"managing_organisation": "occar", "effective": "2024"},
                    **editor(tokens))  # fmt: skip
    assert response.status_code == 200, response.text
    assert client.get(MMF, params={"as_of": "2020"}).json()["managing_organisation"] == before
    assert client.get(MMF).json()["managing_organisation"] == "occar"
    assert "mmf" in client.get("/api/organisations/occar").json()["manages"]


def test_a_corrected_name_reads_as_it_was_as_known_before_the_correction(client, tokens):
    """Name, acronym and description are corrections: the registry no longer overwrites what it
    said; reads as known before the correction (detail, list, report) give the old words."""
    old = client.get(MMF).json()
    known_before = recorded_at(client, newest_change(client)["change_set"])
    body = {"name": "Multinational Tanker Fleet", "acronym": "MTF", "description": "Renamed."}
    response = send(client, "PATCH", MMF, body, **editor(tokens))
    assert response.status_code == 200, response.text
    then = {"as_known_on": known_before}
    described = lambda d: (d["name"], d["acronym"], d["description"])  # noqa: E731
    assert described(client.get(MMF).json()) == tuple(body.values())
    assert described(client.get(MMF, params=then).json()) == described(old)
    listed = lambda **p: {i["slug"]: i["name"] for i in client.get(  # noqa: E731
        "/api/programmes", params=p).json()["items"]}  # fmt: skip
    assert listed()["mmf"] == body["name"]
    assert listed(**then)["mmf"] == old["name"]
    assert listed(q="tanker fleet", **then) == {}  # the filter reads the name as known then
    nation = lambda **p: {i["slug"]: i["name"] for i in client.get(  # noqa: E731
        "/api/nations/NLD", params=p).json()["programmes"]}  # fmt: skip
    assert (nation()["mmf"], nation(**then)["mmf"]) == (body["name"], old["name"])
    report = client.get("/reports/programmes/mmf", params=then).text
    assert old["name"] in report
    assert body["name"] not in report
    assert body["name"] in client.get("/reports/programmes/mmf").text


def test_a_programme_not_yet_recorded_as_known_then_is_not_found(client):
    assert client.get(MMF, params={"as_known_on": "2000-01-01"}).status_code == 404


def test_a_programme_status_change_with_a_bad_date_is_refused(engine, client, tokens):
    assert_refused(engine, client, "PATCH", MMF, {"status": "closed", "effective": "2030-13"},
                   422, "effective", **editor(tokens))  # fmt: skip


def test_contracts_and_fleet_events_recorded_later_are_not_seen_as_known_before(client, tokens):
    known_before = recorded_at(client, newest_change(client)["change_set"])
    contract = {"title": "Twelfth A330 MRTT", "kind": "acquisition", "reference": "mmf-12",
                "signed": "2024-05", "value": {"amount": "300000000.00", "currency": "EUR"}}  # fmt: skip
    assert send(client, "POST", f"{MMF}/contracts", contract, **editor(tokens)).status_code == 201
    event = {"date": "2024-06-01", "kind": "ordered", "count": 1}
    assert send(client, "POST", f"{MMF}/fleet", event, **editor(tokens)).status_code == 201
    then = {"as_of": "2025", "as_known_on": known_before}
    now, before = client.get(MMF, params={"as_of": "2025"}).json(), client.get(MMF, params=then)
    assert before.json()["fleet"]["ordered"] == now["fleet"]["ordered"] - 1
    eur = lambda detail: Decimal(  # noqa: E731
        next(t["amount"] for t in detail["contract_totals"] if t["currency"] == "EUR")
    )
    assert eur(now) - eur(before.json()) == Decimal("300000000.00")
    listed = client.get(f"{MMF}/contracts", params={"as_known_on": known_before, "limit": "500"})
    assert "mmf-12" not in [c["reference"] for c in listed.json()["items"]]
    assert "mmf-12" in [c["reference"] for c in client.get(
        "/api/contracts", params={"limit": "500"}).json()["items"]]  # fmt: skip
    fleet = client.get(f"{MMF}/fleet", params={"as_known_on": known_before, "limit": "500"})
    assert "2024-06-01" not in [p["date"] for p in fleet.json()["items"]]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"as_known_on": "9999-12-31"}, 200),
        ({"as_of": "9999-12-31", "as_known_on": "9999-12-31T23:00:00-05:00"}, 200),
        ({"as_of": "0001"}, 200),
        # Known in year 1: nothing was recorded yet, so no programme then (its lists: empty).
        ({"as_known_on": "0001-01-01T00:00:00+01:00"}, 404),
    ],
)
def test_both_axes_answer_at_the_ends_of_the_calendar(client, params, detail):
    assert client.get(MMF, params=params).status_code == detail
    for path in (f"{MMF}/participants", f"{MMF}/fleet", "/api/nations/NLD"):
        assert client.get(path, params=params).status_code == 200, (path, params)


def test_a_diff_at_the_end_of_the_calendar_answers(client):
    found = diff(client, **{"from": "9999-12-31", "to": "9999-12-31"})
    assert (found["joined"], found["contracts"]) == ([], [])


def test_a_change_comment_header_is_kept_on_the_change_set(client, tokens):
    comment = "Correcting the share after the 2024 MoU amendment — see file 17"
    headers = {**editor(tokens), "Content-Type": "application/json"}
    response = client.request(
        "PATCH", f"{MMF}/participants/NLD", content=b'{"note": "per MoU"}',
        headers={**headers, "X-Change-Comment": comment.encode()},  # UTF-8 on the wire
    )  # fmt: skip
    assert response.status_code == 200, response.text
    found = client.get(f"/api/change-sets/{newest_change(client)['change_set']}").json()
    assert found["comment"] == comment


def test_a_change_comment_too_long_is_refused(engine, client, tokens):
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/NLD", {"note": "x"}, 400,
                   "X-Change-Comment", **editor(tokens), **{"X-Change-Comment": "x" * 2001})  # fmt: skip


def test_a_change_comment_that_is_not_utf8_is_malformed():
    """Raw header bytes, as a server hands them over (the test client re-encodes text)."""
    from api.edge import Malformed, _comment

    found = _comment({"headers": [(b"x-change-comment", b"\xff\xfe")]})  # type: ignore[arg-type]
    assert found == Malformed("X-Change-Comment", "is not UTF-8 text")


def test_a_member_leaving_on_a_later_day_can_still_be_changed(client, tokens):
    """Guards a fixed bug: only a spell without an end counted as current, so a member with
    a planned leave could not be edited (404) though it was listed as a member."""
    patch(client, tokens, "DNK", {"left": "2031-01-01"})
    assert client.get(f"{MMF}/participants/DNK").status_code == 200
    patch(client, tokens, "DNK", {"role": "observer", "effective": "2027"})
    assert members(client, as_of="2028")["DNK"]["role"] == "observer"
    assert members(client, as_of="2026-12-31")["DNK"]["role"] == "participant"


def test_taking_back_a_leave_shows_in_the_diff_between_moments(client, tokens):
    """Guards a fixed bug: a leave corrected away left the record-time diff empty."""
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    known_before = recorded_at(client, newest_change(client)["change_set"])
    patch(client, tokens, "DNK", {"left": None, "correction": True})
    assert "DNK" in members(client, as_of="2026-06-01")
    found = diff(client, known_from=known_before)
    assert found["changed"] == [{
        "nation": "DNK", "field": "left", "before": "2026-01-15", "after": None,
        "effective": "2026-01-15",
    }]  # fmt: skip


def test_taking_a_leave_back_without_saying_it_is_a_correction_is_refused(engine, client, tokens):
    patch(client, tokens, "DNK", {"left": "2026-01-15"})
    assert_refused(engine, client, "PATCH", f"{MMF}/participants/DNK", {"left": None}, 422,
                   "left", **editor(tokens))  # fmt: skip


def test_the_changes_section_answers_when_the_fleet_began_after_since(client):
    """Guards a fixed bug: a `since` before the first fleet event was a 500."""
    response = client.get("/reports/programmes/mmf", params={"since": "2000", "as_of": "2021"})
    assert response.status_code == 200
    assert "A330 MRTT: 0 → 9 ordered" in response.text
