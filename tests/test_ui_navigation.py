"""The staff pages' ways around: the nations list, the navigation and the reports it reaches, the
404 page, the icon, and the programme page's recent history."""

import re
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import Session

from api.edge import CONTENT_SECURITY_POLICY
from api.ui.pages import HISTORY_SHOWN, PER_PAGE
from registry.database import unit_of_work
from registry.nations import list_nations
from registry.participation import join_programme, nation_programmes_on
from registry.search import ACCOUNT_ENTITIES, changes_page
from tests.staff import Html, sign_in

NATION_ROW = re.compile(r" ([A-Z]{3}) (ally|partner) .* (\d+)$")


def counts_on_page(client, day: date) -> dict[str, int]:
    page = Html(client.get("/ui/nations", params={"as_of": day.isoformat()}).text)
    rows = [NATION_ROW.search(row) for row in page.rows["nations"][1:]]
    assert all(rows), page.rows["nations"]
    return {row[1]: int(row[3]) for row in rows if row}


@pytest.mark.parametrize("day", [date(1950, 1, 1), date(2016, 6, 30), date(2025, 6, 30)])
def test_the_nations_page_counts_the_programmes_each_nation_is_in_on_a_date(
    client, engine, seeded, staff, day
):
    """Each count is the number of programmes the nation's own page lists for that date."""
    sign_in(client, "viewer")
    counts = counts_on_page(client, day)
    with Session(engine) as session:
        nations = list_nations(session)
        listed = {n.code: len(nation_programmes_on(session, n.code, day)) for n in nations}
    assert counts == listed
    assert list(counts) == [n.code for n in nations]  # every nation, by name
    if day.year > 1950:
        assert any(counts.values())
        assert not all(counts.values())
    else:
        assert not any(counts.values())


def test_a_nation_that_joins_a_programme_counts_it_from_that_day(client, engine, seeded, staff):
    sign_in(client, "viewer")
    days = date(2025, 5, 31), date(2025, 6, 30)
    before = [counts_on_page(client, day) for day in days]
    with unit_of_work(engine) as session:
        join_programme(
            session, programme="mmf", nation="FIN", role="observer", joined="2025-06-01",
            actor="tester",
        )  # fmt: skip
    after = [counts_on_page(client, day) for day in days]
    assert after[0] == before[0]  # not before it joined
    assert after[1] == before[1] | {"FIN": before[1]["FIN"] + 1}


def test_each_nation_links_to_its_page_on_the_date_asked(client, seeded, staff):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/nations", params={"as_of": "2020-01-01"}).text)
    assert "/ui/nations/NLD?as_of=2020-01-01" in page.links
    today = Html(client.get("/ui/nations").text)
    assert "/ui/nations/NLD" in today.links
    assert "Netherlands" in today.words
    assert "/ui/reports/membership" in today.links


NAVIGATION = [
    "/ui/programmes", "/ui/nations", "/ui/changes", "/ui/reports/membership",
    "/ui/reports/contracts",
]  # fmt: skip


def test_the_navigation_reaches_the_lists_and_the_reports(client, seeded, staff):
    sign_in(client, "viewer")
    html = client.get("/ui/nations").text
    assert set(NAVIGATION) <= set(Html(html).links)
    assert '<a href="/ui/nations" aria-current="page">Nations</a>' in html
    assert html.count('aria-current="page"') == 1
    for path in NAVIGATION:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/ui/reports/membership", "Alliance membership matrix"),
     ("/ui/reports/contracts", "Contracts summary")],
)  # fmt: skip
def test_staff_read_the_matrix_and_the_contracts_summary_where_the_api_needs_a_token(
    app_settings, seeded, staff, client_with, path, heading
):
    closed = replace(app_settings, public_read=False)
    with client_with(closed, base_url="https://testserver.local") as client:
        assert client.get(path.removeprefix("/ui")).status_code == 401
        assert client.get(path, follow_redirects=False).status_code == 303
        sign_in(client, "viewer")
        report = client.get(path)
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("text/html")
        assert heading in Html(report.text).words
        assert client.get(path, params={"format": "docx"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "message"),
    [("/ui/no-such-page", "path: there is no page at /ui/no-such-page"),
     ("/ui/programmes/mmf/no-such-page", "path: there is no page at /ui/programmes/mmf/no-such-page"),
     ("/ui/programmes/no-such-slug", "slug: no programme 'no-such-slug'"),
     ("/ui/nations/XXX", "code: unknown nation 'XXX'")],
)  # fmt: skip
def test_an_unknown_staff_page_or_record_is_an_html_404_in_the_staff_layout(
    client, seeded, staff, path, message
):
    sign_in(client, "viewer")
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = Html(response.text)
    assert message in page.words
    assert {"/ui/programmes", "/ui/nations"} <= set(page.links)  # ways on from here
    assert "Signed in as viewer" in page.words  # the layout knows who is signed in


def test_an_unknown_staff_page_is_html_for_a_visitor_not_signed_in(client, seeded):
    response = client.get("/ui/no-such-page", follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "there is no page at /ui/no-such-page" in Html(response.text).words
    assert "Sign out" not in Html(response.text).words


@pytest.mark.parametrize(
    "path", ["/api/programmes/no-such-slug", "/api/no-such-page", "/no-such-page", "/uix"]
)
def test_outside_the_staff_pages_a_404_stays_a_problem_document(client, seeded, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_a_method_a_staff_page_does_not_take_is_an_html_405_naming_the_allowed(
    client, seeded, staff
):
    sign_in(client, "viewer")
    response = client.delete("/ui/programmes")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "GET" in response.headers["allow"]
    assert "Method not allowed" in Html(response.text).words


def test_the_icon_is_linked_from_every_page_and_answers_at_favicon_ico(
    app_settings, seeded, client_with
):
    closed = replace(app_settings, public_read=False)  # the icon needs no token
    with client_with(closed, base_url="https://testserver.local") as client:
        signin = client.get("/ui/signin").text
        assert '<link rel="icon" href="/ui/static/favicon.svg" type="image/svg+xml">' in signin
        svg = client.get("/ui/static/favicon.svg")
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.content == svg.content
        assert icon.content.startswith(b"<svg")
        assert icon.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_the_programme_page_shows_its_recent_history_and_links_to_the_rest(
    client, engine, seeded, staff
):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/programmes/mmf").text)
    with Session(engine) as session:
        total = changes_page(session, within="mmf", hide=ACCOUNT_ENTITIES, limit=1).total
    assert total > HISTORY_SHOWN  # the seed gives the MMF more changes than the page shows
    shown = page.rows["changes"][1:]
    assert len(shown) == HISTORY_SHOWN
    assert f"The {HISTORY_SHOWN} most recent of {total} changes, newest first." in page.words
    assert "/ui/changes?within=mmf" in page.links
    assert f"All {total} changes to MMF in the change log, {PER_PAGE} to a page." in page.words
    log = Html(client.get("/ui/changes", params={"within": "mmf"}).text)
    assert log.rows["changes"][1 : 1 + HISTORY_SHOWN] == shown  # the newest, in the same order
    assert len(log.rows["changes"]) == 1 + min(total, PER_PAGE)


def test_pages_name_agencies_and_contractors_not_their_slugs(client, seeded, staff):
    sign_in(client, "viewer")
    programme = Html(client.get("/ui/programmes/mmf").text).words
    assert "managed by NATO Support and Procurement Agency" in programme
    assert "Airbus Defence and Space" in programme
    assert "airbus-defence-and-space" not in programme
    listed = Html(client.get("/ui/programmes").text).words
    assert "NATO Support and Procurement Agency" in listed
