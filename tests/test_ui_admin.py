"""Accounts in the staff pages: /ui/admin/users and the security log for admins, /ui/account
(your own tokens) for everyone."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from registry.accounts import list_tokens
from registry.users import authenticate, find_user
from tests.conftest import auth, dump
from tests.staff import PASSWORDS, Html, sign_in

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


def _post(client, path: str, token: str, **fields: str):
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/ui/admin/users", {"username": "mallory", "role": "admin"}),
        ("/ui/admin/users/admin", {"active": "no"}),
        ("/ui/admin/users/viewer", {"role": "admin"}),
        ("/ui/admin/users/admin/reset", {}),
    ],
)
@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_viewers_and_editors_are_refused_the_admin_pages(client, staff, engine, role, path, fields):
    token = sign_in(client, role)
    assert client.get("/ui/admin/users").status_code == 403
    before = dump(engine)
    refused = _post(client, path, token, **fields)
    assert refused.status_code == 403
    assert f"{role} is a {role}; this needs admin" in refused.text
    assert dump(engine) == before


def test_the_users_page_lists_people_and_the_menu_links_it_for_admins_only(client, staff):
    sign_in(client, "admin")
    page = Html(client.get("/ui/admin/users").text)
    assert [row.split()[0] for row in page.rows["users"][1:]] == ["admin", "editor", "viewer"]
    assert "/ui/admin/users" in page.links
    assert "/ui/admin/security" in page.links
    client.cookies.clear()
    sign_in(client, "editor")
    assert "/ui/admin/users" not in Html(client.get("/ui/programmes").text).links


def test_an_admin_adds_a_user_who_must_change_the_one_time_password(client, staff, engine):
    token = sign_in(client, "admin")
    added = _post(client, "/ui/admin/users", token, username="erin", role="editor")
    assert added.status_code == 200
    (password,) = SECRET.findall(added.text)
    with Session(engine) as session:
        erin = authenticate(session, "erin", password)
        assert (erin.role, erin.must_change_password) == ("editor", True)
    assert "create user erin" in " ".join(Html(added.text).rows["changes"])
    before = dump(engine)
    again = _post(client, "/ui/admin/users", token, username="erin", role="viewer")
    assert again.status_code == 409
    assert Html(again.text).errors["username"] == "a user 'erin' exists already"
    blank = _post(client, "/ui/admin/users", token, username="", role="boss")
    assert blank.status_code == 422
    assert set(Html(blank.text).errors) == {"username", "role"}
    assert dump(engine) == before


def test_a_disabled_editor_is_sent_to_sign_in_at_the_next_click(client, staff):
    sign_in(client, "editor")
    editor = dict(client.cookies)
    client.cookies.clear()
    token = sign_in(client, "admin")
    assert _post(client, "/ui/admin/users/editor", token, active="no").status_code == 303
    page = Html(client.get("/ui/admin/users").text)
    assert " disabled " in next(r for r in page.rows["users"] if r.startswith("editor"))
    client.cookies.clear()
    client.cookies.update(editor)
    refused = client.get("/ui/programmes", follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/ui/signin")


def test_a_role_changes_but_the_last_admin_stays(client, staff, engine):
    token = sign_in(client, "admin")
    assert _post(client, "/ui/admin/users/viewer", token, role="editor").status_code == 303
    with Session(engine) as session:
        assert find_user(session, "viewer").role == "editor"  # type: ignore[union-attr]
    before = dump(engine)
    for fields in ({"active": "no"}, {"role": "viewer"}):
        refused = _post(client, "/ui/admin/users/admin", token, **fields)
        assert refused.status_code == 409
        assert "admin: " in refused.text
        assert "only active admin" in refused.text
    assert dump(engine) == before


def test_a_reset_shows_a_one_time_password_once(client, staff, engine):
    token = sign_in(client, "admin")
    reset = _post(client, "/ui/admin/users/viewer/reset", token)
    (password,) = SECRET.findall(reset.text)
    with Session(engine) as session:
        assert authenticate(session, "viewer", password).must_change_password
    assert not SECRET.findall(client.get("/ui/admin/users").text)
    assert _post(client, "/ui/admin/users/nobody/reset", token).status_code == 404


def test_people_make_list_and_revoke_their_own_tokens(client, tokens, staff_tokens, engine):
    token = sign_in(client, "viewer")
    page = Html(client.get("/ui/account").text)
    assert len(page.rows["tokens"]) == 1 + 1  # the header and the viewer's one token
    made = _post(client, "/ui/account/tokens", token, expires="7")
    assert made.status_code == 201
    (secret,) = SECRET.findall(made.text)
    assert client.get("/api/tokens", headers=auth(secret)).status_code == 200
    assert len(Html(made.text).rows["tokens"]) == 1 + 2
    before = dump(engine)
    for bad in ("0", "seven", "99999"):
        refused = _post(client, "/ui/account/tokens", token, expires=bad)
        assert refused.status_code == 422, bad
        assert "expires" in Html(refused.text).errors, bad
    with Session(engine) as session:
        editors = [t.id for t, u in list_tokens(session) if u.username == "editor"]
        mine = [t.id for t, u in list_tokens(session) if u.username == "viewer"]
    assert _post(client, f"/ui/account/tokens/{editors[0]}/revoke", token).status_code == 404
    assert dump(engine) == before
    assert _post(client, f"/ui/account/tokens/{mine[0]}/revoke", token).status_code == 303
    assert client.get("/api/tokens", headers=auth(secret)).status_code == 401
    newest, oldest = Html(client.get("/ui/account").text).rows["tokens"][1:]
    assert " revoked" in newest
    assert " working " in oldest


@pytest.fixture
def staff_tokens(tokens, engine) -> None:
    """The token holders of `tokens` sign in to the staff pages too."""
    from registry.accounts import change_password, reset_password
    from registry.database import unit_of_work

    for role, password in PASSWORDS.items():
        with unit_of_work(engine) as session:
            once = reset_password(session, username=role, actor="fixture")
            change_password(session, username=role, old=once, new=password)
