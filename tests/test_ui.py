"""The staff pages: signing in and out, who sees what, and the pages that only read."""

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import transport
from sqlmodel import Session, func, select

from api.ui.pages import HISTORY_SHOWN
from registry.database import unit_of_work
from registry.programmes import create_programme
from registry.users import add_user, create_token, find_user
from registry.web_sessions import WebSession, open_session
from tests.conftest import dump
from tests.staff import PASSWORDS, Html, sign_in

PAGES = [
    "/ui/programmes", "/ui/programmes?q=tanker", "/ui/programmes/mmf", "/ui/nations/DNK",
    "/ui/changes",
]  # fmt: skip
FORMS = [
    "/ui/programmes/mmf/members/new", "/ui/programmes/mmf/members/NLD/edit",
    "/ui/programmes/mmf/members/NLD/leave", "/ui/programmes/mmf/contracts/new",
    "/ui/programmes/mmf/fleet/new",
]  # fmt: skip


def sessions(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(WebSession)).one()


@pytest.mark.parametrize("path", PAGES + FORMS)
def test_signed_out_users_are_sent_to_sign_in_and_back(client, seeded, staff, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    where = urlsplit(response.headers["location"])
    assert where.path == "/ui/signin"
    assert parse_qs(where.query)["next"] == [path]
    form = Html(client.get(response.headers["location"]).text)
    assert form.values["next"] == path
    signed = client.post(
        "/ui/signin",
        data={"csrf_token": form.values["csrf_token"], "username": "editor",
              "password": PASSWORDS["editor"], "next": form.values["next"]},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.status_code == 303
    assert signed.headers["location"] == path
    assert client.get(path).status_code == 200


def test_a_post_while_signed_out_goes_to_sign_in_and_writes_nothing(client, engine, seeded):
    before = dump(engine)
    response = client.post(
        "/ui/programmes/mmf/members/new", data={"nation": "FIN", "joined": "2025"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/signin"
    assert dump(engine) == before


def test_a_wrong_password_is_refused_beside_the_field_and_opens_no_session(
    client, engine, seeded, staff
):
    form = Html(client.get("/ui/signin").text)
    response = client.post(
        "/ui/signin",
        data={"csrf_token": form.values["csrf_token"], "username": "editor", "password": "guess"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 422
    page = Html(response.text)
    assert page.errors["password"] == "unknown user or wrong password"
    assert page.values["username"] == "editor"  # kept for the second try
    assert "registry_session" not in response.cookies
    assert sessions(engine) == 0


def test_signing_in_needs_the_forms_own_token(client, engine, seeded, staff):
    """Guards against login CSRF: another site cannot sign a browser in to its own account."""
    client.get("/ui/signin")
    response = client.post(
        "/ui/signin",
        data={"csrf_token": "made-up", "username": "editor", "password": PASSWORDS["editor"]},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 403
    assert "expired" in Html(response.text).words
    assert sessions(engine) == 0


@pytest.mark.parametrize(
    "next", ["https://elsewhere.example/", "//elsewhere.example/ui", "/api/programmes"]
)
def test_after_signing_in_the_browser_stays_on_the_staff_pages(client, seeded, staff, next):
    form = Html(client.get("/ui/signin").text)
    response = client.post(
        "/ui/signin",
        data={"csrf_token": form.values["csrf_token"], "username": "viewer",
              "password": PASSWORDS["viewer"], "next": next},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/ui/programmes"


def session_cookie(client) -> str:
    form = Html(client.get("/ui/signin").text)
    data = {"csrf_token": form.values["csrf_token"], "username": "viewer",
            "password": PASSWORDS["viewer"]}  # fmt: skip
    response = client.post("/ui/signin", data=data, follow_redirects=False)
    assert response.status_code == 303
    return str(next(c for c in response.headers.get_list("set-cookie") if "registry_session=" in c))


def test_the_session_cookie_is_http_only_same_site_and_secure(client, seeded, staff):
    cookie = session_cookie(client)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/ui" in cookie
    assert "Secure" in cookie
    # The stored row holds a hash of the cookie's value, never the value.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value not in str(dump(client.app.state.engine)["web_session"])


@pytest.mark.parametrize(
    ("scheme", "host", "client_address", "server_address", "setting", "secure"),
    [("http", "127.0.0.1:8000", "127.0.0.1", "127.0.0.1", None, False),  # `make run`: no TLS here
     ("http", "[::1]:8000", "::1", "::1", None, False),
     ("https", "127.0.0.1:8443", "127.0.0.1", "127.0.0.1", None, True),
     # The Host header says this machine; the connection comes from elsewhere.
     ("http", "localhost", "203.0.113.9", "192.0.2.10", None, True),
     ("http", "127.0.0.1:8000", "203.0.113.9", "127.0.0.1", None, True),
     ("http", "registry.example", "192.0.2.7", "192.0.2.10", None, True),  # a proxy ends TLS
     ("http", "127.0.0.1:8000", "127.0.0.1", "127.0.0.1", True, True),
     ("http", "registry.example", "192.0.2.7", "192.0.2.10", False, False)],
)  # fmt: skip
def test_cookies_are_secure_except_on_this_machine_over_http_or_when_set_off(
    app_settings, seeded, staff, monkeypatch, scheme, host, client_address, server_address,
    setting, secure, client_with,
):  # fmt: skip
    """Guards a fixed hole: the choice read the Host header, so any client that sent
    `Host: localhost` got cookies that travel over plain HTTP."""
    parse_request = transport.TestClientTransport.parse_request
    monkeypatch.setattr(
        transport.TestClientTransport, "parse_request",
        lambda self, request: parse_request(self, request)
        | {"client": (client_address, 50000), "server": (server_address, 8000)},
    )  # fmt: skip
    settings = replace(app_settings, secure_cookie=setting)
    with client_with(settings, base_url=f"{scheme}://testserver.local") as client:
        client.headers["Host"] = host
        # The sign-in form's cookie is made as the session's is; over plain HTTP a Secure
        # session cookie would never come back, so this is the one to look at.
        cookie = client.get("/ui/signin").headers["set-cookie"]
        assert cookie.startswith("registry_signin=")
        assert ("Secure" in cookie) is secure
        if not secure:
            assert "Secure" not in session_cookie(client)


def test_signing_out_ends_the_session_at_once(client, engine, seeded, staff):
    token = sign_in(client, "editor")
    stolen = client.cookies["registry_session"]
    response = client.post("/ui/signout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert sessions(engine) == 0
    client.cookies.set("registry_session", stolen)  # the old cookie, replayed
    assert client.get("/ui/programmes", follow_redirects=False).status_code == 303


def test_signing_out_needs_the_form_token(client, engine, seeded, staff):
    sign_in(client, "editor")
    response = client.post("/ui/signout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_token" in Html(response.text).words
    assert sessions(engine) == 1


def test_an_expired_session_sends_the_browser_to_sign_in(client, engine, seeded, staff):
    with unit_of_work(engine) as session:
        user = find_user(session, "editor")
        assert user is not None
        cookie = open_session(session, user, hours=-1)
    client.cookies.set("registry_session", cookie)
    assert client.get("/ui/programmes", follow_redirects=False).status_code == 303


EDIT_LINKS = ("/members/new", "/edit", "/leave", "/contracts/new", "/fleet/new")


def test_viewers_see_no_edit_controls_and_editors_do(client, seeded, staff):
    sign_in(client, "viewer")
    links = Html(client.get("/ui/programmes/mmf").text).links
    assert not [link for link in links if link.endswith(EDIT_LINKS)]
    client.cookies.clear()
    sign_in(client, "editor")
    links = Html(client.get("/ui/programmes/mmf").text).links
    assert {ending for ending in EDIT_LINKS if any(link.endswith(ending) for link in links)} == set(
        EDIT_LINKS
    )


@pytest.mark.parametrize("path", FORMS)
def test_viewers_get_403_on_a_form_and_on_a_forged_post(client, engine, seeded, staff, path):
    token = sign_in(client, "viewer")
    assert client.get(path).status_code == 403
    before = dump(engine)
    data = {"csrf_token": token, "nation": "FIN", "role": "observer", "joined": "2025",
            "left": "2025", "version": "1", "title": "X", "kind": "delivered", "date": "2025",
            "count": "1"}  # fmt: skip
    response = client.post(path, data=data)
    assert response.status_code == 403
    assert "viewer is a viewer; this needs editor" in Html(response.text).words
    assert dump(engine) == before


def test_programmes_are_found_by_name_and_filtered(client, seeded, staff):
    sign_in(client, "viewer")
    found = Html(client.get("/ui/programmes", params={"q": "tanker"}).text)
    assert "/ui/programmes/mmf" in found.links
    assert found.values["q"] == "tanker"
    none = Html(client.get("/ui/programmes", params={"q": "no such thing"}).text)
    assert "No programme matches." in none.words
    fleets = Html(client.get("/ui/programmes", params={"category": "multinational-fleet"}).text)
    assert fleets.values["category"] == "multinational-fleet"
    assert all("multinational fleet" in row for row in fleets.rows[""][1:])  # as people read it
    luxembourg = Html(client.get("/ui/programmes", params={"nation": "LUX"}).text)
    assert luxembourg.values["nation"] == "LUX"
    assert "/ui/programmes/mmf" in luxembourg.links
    assert len(luxembourg.rows[""]) - 1 < len(Html(client.get("/ui/programmes").text).rows[""]) - 1


def test_the_programme_page_shows_members_contracts_fleet_history_and_its_report(
    client, seeded, staff
):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/programmes/mmf").text)
    members = page.rows["members"][1:]
    assert any(row.startswith("Netherlands NLD") for row in members)
    assert len(page.rows["contracts"]) > 1
    assert len(page.rows["fleet"]) > 1
    assert any("create fleet event mmf/" in row for row in page.rows["changes"])  # the newest
    assert "/ui/reports/programmes/mmf" in page.links
    assert "/ui/nations/NLD" in page.links


def test_the_programme_page_shows_notes_instruments_and_contracts_without_value(
    client, seeded, staff
):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/programmes/mmf", params={"as_of": "2024"}).text)
    assert "Luxembourg: Cost share from 2023: 1,200 of the 9,900 committed flight hours" in (
        page.words
    )
    (letter,) = page.rows["instruments"][1:]
    assert letter.startswith("date unknown letter of intent Nordic letter of intent on the MMF")
    assert letter.split(" MMF ")[1].startswith("Denmark , Finland , Norway , Sweden")  # links
    assert "/ui/nations/FIN" in page.links
    assert "4 contracts have no published value" in page.words  # of the five signed by 2024
    now = Html(client.get("/ui/programmes/mmf").text).words
    assert "Sweden: Share unknown from 24 June 2025" in now
    assert "5 contracts have no published value" in now
    plain = Html(client.get("/ui/programmes/innovation-ranges").text)
    assert "instruments" not in plain.rows
    assert "no published value" not in plain.words


def test_a_past_member_is_listed_apart(client, seeded, staff):
    sign_in(client, "editor")
    form = Html(client.get("/ui/programmes/mmf/members/NLD/leave").text).values
    # After the seeded change of 24 June 2025: a leave before a recorded change is refused.
    response = client.post(
        "/ui/programmes/mmf/members/NLD/leave",
        data={"csrf_token": form["csrf_token"], "left": "2026-01-01", "version": form["version"]},
        follow_redirects=False,
    )
    assert response.status_code == 303, Html(response.text).words
    page = Html(client.get("/ui/programmes/mmf").text)
    assert not any(row.startswith("Netherlands") for row in page.rows["members"])
    assert any(row.startswith("Netherlands NLD") and "1 January 2026" in row
               for row in page.rows["past"])  # fmt: skip


def test_the_nation_page_lists_its_programmes(client, seeded, staff):
    sign_in(client, "viewer")
    page = Html(client.get("/ui/nations/nld").text)
    assert "/ui/programmes/mmf" in page.links
    assert "Netherlands" in page.words


def test_an_unknown_record_is_a_404_page_naming_the_field(client, seeded, staff):
    sign_in(client, "editor")
    response = client.get("/ui/programmes/nope")
    assert response.status_code == 404
    assert "slug: no programme 'nope'" in Html(response.text).words
    assert client.get("/ui/nations/XXX").status_code == 404
    assert client.get("/ui/programmes/mmf/members/XXX/edit").status_code == 404
    assert client.get("/ui/programmes/mmf/members/FIN/leave").status_code == 404  # not a member


def test_the_change_log_leaves_accounts_to_the_admins_security_log(client, seeded, staff):
    for role in ("editor", "admin"):
        client.cookies.clear()
        sign_in(client, role)
        page = Html(client.get("/ui/changes").text)
        assert len(page.rows["changes"]) > 10
        assert not [row for row in page.rows["changes"] if " user " in row]
        assert Html(client.get("/ui/changes", params={"entity": "user"}).text).rows["changes"] == [
            page.rows["changes"][0],
            "No changes recorded.",
        ]
    page = Html(client.get("/ui/admin/security").text)
    assert len([row for row in page.rows["changes"] if "create user" in row]) == len(PASSWORDS)
    client.cookies.clear()
    sign_in(client, "editor")
    assert client.get("/ui/admin/security").status_code == 403


def test_the_change_log_pages_and_keeps_its_filters(client, seeded, staff):
    sign_in(client, "viewer")
    first = Html(client.get("/ui/changes", params={"actor": "seed"}).text)
    assert len(first.rows["changes"]) == 1 + 50
    assert "?actor=seed&page=2" in first.links
    second = Html(client.get("/ui/changes", params={"actor": "seed", "page": 2}).text)
    assert second.rows["changes"][1:]
    assert set(second.rows["changes"][1:]).isdisjoint(first.rows["changes"][1:])
    assert all(" seed " in row for row in second.rows["changes"][1:])
    mmf = Html(client.get("/ui/changes", params={"within": "mmf"}).text)
    assert all(" mmf" in row for row in mmf.rows["changes"][1:])
    assert "?within=mmf&page=2" not in mmf.links  # fewer than a page


def test_staff_read_the_reports_even_where_the_api_needs_a_token(
    app_settings, seeded, staff, client_with
):
    closed = replace(app_settings, public_read=False)
    with client_with(closed, base_url="https://testserver.local") as client:
        assert client.get("/reports/programmes/mmf").status_code == 401
        assert client.get("/ui/reports/programmes/mmf", follow_redirects=False).status_code == 303
        sign_in(client, "viewer")
        report = client.get("/ui/reports/programmes/mmf")
        assert report.status_code == 200
        assert "Multinational Multi Role Tanker Transport Fleet" in Html(report.text).words
        pdf = client.get("/ui/reports/nations/NLD", params={"format": "pdf"})
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert client.get("/ui/reports/nations/XYZ").status_code == 404


def test_a_programme_named_like_a_script_prints_as_text(client, engine, seeded, staff):
    with unit_of_work(engine) as session:
        create_programme(
            session, slug="x", name="<script>alert(1)</script>", category="innovation",
            actor="tester",
        )  # fmt: skip
    sign_in(client, "viewer")
    html = client.get("/ui/programmes/x").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_programme_history_shows_no_account_changes(client, engine, seeded, staff):
    """A user or token keyed like the programme (a user named `mmf`) stays out of its history."""
    with unit_of_work(engine) as session:
        add_user(session, username="mmf", role="viewer", actor="tester")
        create_token(session, username="mmf", actor="tester")
    sign_in(client, "admin")
    rows = Html(client.get("/ui/programmes/mmf").text).rows["changes"]
    assert not [row for row in rows if " user " in row or "api token" in row]
    assert len(rows) == 1 + HISTORY_SHOWN  # the programme's own, though those two are newer
    assert all(" mmf" in row for row in rows[1:])
