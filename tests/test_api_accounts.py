"""Accounts over the API: /api/users and /api/security-log for admins, /api/tokens for anyone
with a token (their own), and when tokens were last used."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from registry import users
from registry.audit import Change
from registry.database import unit_of_work
from registry.users import ApiToken, User, create_token, find_user
from tests.conftest import auth, dump

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _user(engine, username: str) -> User:
    with Session(engine) as session:
        found = find_user(session, username)
        assert found is not None
        return found


def _account_changes(engine) -> list[Change]:
    with Session(engine) as session:
        query = select(Change).where(Change.entity.in_(["user", "api_token"]))  # type: ignore[attr-defined]
        return list(session.exec(query.order_by(Change.id)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/users", None),
        ("GET", "/api/users/editor", None),
        ("POST", "/api/users", {"username": "mallory", "role": "admin"}),
        ("PATCH", "/api/users/admin", {"active": False}),
        ("POST", "/api/users/admin/reset-password", None),
        ("GET", "/api/security-log", None),
    ],
)
@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_reach_users_and_the_security_log(
    client, tokens, engine, method, path, body, role
):
    before = dump(engine)
    answer = client.request(method, path, json=body, headers=auth(tokens[role]))
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["field"] == "role"
    assert dump(engine) == before


def test_an_admin_lists_users_with_role_state_and_last_sign_in(client, tokens):
    answer = client.get("/api/users", headers=auth(tokens["admin"]))
    assert answer.status_code == 200
    listed = {u["username"]: u for u in answer.json()}
    assert {name: u["role"] for name, u in listed.items()} == {
        "admin": "admin", "editor": "editor", "viewer": "viewer",
    }  # fmt: skip
    assert listed["editor"]["active"] is True
    assert listed["editor"]["last_signed_in_at"] is None
    assert client.get("/api/users/nobody", headers=auth(tokens["admin"])).status_code == 404


def test_an_added_user_gets_a_one_time_password_and_the_change_is_in_the_security_log(
    client, tokens, engine
):
    answer = client.post(
        "/api/users", json={"username": "erin", "role": "editor"}, headers=auth(tokens["admin"])
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["user"]["username"] == "erin"
    assert body["user"]["must_change_password"] is True
    with Session(engine) as session:
        assert users.authenticate(session, "erin", body["password"]).role == "editor"
    (change,) = [c for c in _account_changes(engine) if c.key == "erin"]
    assert (change.actor, change.action) == ("admin", "create")
    log = client.get("/api/security-log", headers=auth(tokens["admin"])).json()
    assert log["items"][0]["key"] == "erin"
    # Kept out of the programmes' change log, for admins too.
    changes = client.get("/api/changes", params={"limit": 500}, headers=auth(tokens["admin"]))
    assert not {c["entity"] for c in changes.json()["items"]} & {"user", "api_token"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "editor", "role": "viewer"}, 409, "username"),
        ({"username": "   ", "role": "viewer"}, 422, "username"),
        ({"username": "frank", "role": "root"}, 422, "role"),
    ],
)
def test_a_refused_user_names_the_field_and_adds_nothing(
    client, tokens, engine, body, status, field
):
    before = dump(engine)
    answer = client.post("/api/users", json=body, headers=auth(tokens["admin"]))
    assert answer.status_code == status
    assert answer.json()["errors"][0]["field"].startswith(field)
    assert dump(engine) == before


def test_a_disabled_users_token_stops_working_at_once_and_works_again_when_enabled(
    client, tokens, engine
):
    assert client.get("/api/tokens", headers=auth(tokens["editor"])).status_code == 200
    answer = client.patch(
        "/api/users/editor", json={"active": False}, headers=auth(tokens["admin"])
    )
    assert answer.status_code == 200
    assert answer.json()["active"] is False
    refused = client.get("/api/tokens", headers=auth(tokens["editor"]))
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["field"] == "authorization"
    client.patch("/api/users/editor", json={"active": True}, headers=auth(tokens["admin"]))
    assert client.get("/api/tokens", headers=auth(tokens["editor"])).status_code == 200


def test_a_role_changes_and_the_last_admin_is_kept(client, tokens, engine):
    answer = client.patch(
        "/api/users/viewer", json={"role": "editor"}, headers=auth(tokens["admin"])
    )
    assert (answer.status_code, answer.json()["role"]) == (200, "editor")
    before = dump(engine)
    for body, field in (({"active": False}, "active"), ({"role": "editor"}, "role")):
        refused = client.patch("/api/users/admin", json=body, headers=auth(tokens["admin"]))
        assert refused.status_code == 409
        assert refused.json()["errors"][0]["field"] == field
    assert dump(engine) == before


def test_a_reset_answers_a_one_time_password_the_user_must_change(client, tokens, engine):
    answer = client.post("/api/users/editor/reset-password", headers=auth(tokens["admin"]))
    assert answer.status_code == 200
    assert answer.json()["user"]["must_change_password"] is True
    with Session(engine) as session:
        assert users.authenticate(session, "editor", answer.json()["password"])
    assert client.post("/api/users/nobody/reset-password",
                       headers=auth(tokens["admin"])).status_code == 404  # fmt: skip


def test_people_see_their_own_tokens_and_admins_everyones(client, tokens):
    mine = client.get("/api/tokens", headers=auth(tokens["editor"])).json()
    assert {t["user"] for t in mine} == {"editor"}
    assert mine[0]["state"] == "working"
    assert set(mine[0]) >= {"hint", "created_at", "last_used_at", "expires_at", "revoked_at"}
    everyone = client.get("/api/tokens", headers=auth(tokens["admin"])).json()
    assert {t["user"] for t in everyone} == {"viewer", "editor", "admin"}
    one = client.get("/api/tokens", params={"user": "viewer"}, headers=auth(tokens["admin"]))
    assert {t["user"] for t in one.json()} == {"viewer"}
    refused = client.get("/api/tokens", params={"user": "admin"}, headers=auth(tokens["editor"]))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "user"


def test_a_new_token_works_for_the_days_asked_and_is_shown_once(client, tokens, engine):
    answer = client.post("/api/tokens", json={"expires_in_days": 7}, headers=auth(tokens["viewer"]))
    assert answer.status_code == 201
    made = answer.json()
    assert made["token"]["user"] == "viewer"
    expires = datetime.fromisoformat(made["token"]["expires_at"])
    created = datetime.fromisoformat(made["token"]["created_at"])
    assert expires - created == timedelta(days=7)
    assert client.get("/api/tokens", headers=auth(made["secret"])).status_code == 200
    listed = client.get("/api/tokens", headers=auth(tokens["viewer"])).json()
    assert "secret" not in listed[0]
    assert made["secret"] not in answer.text.replace(f'"secret":"{made["secret"]}"', "")


def test_only_admins_make_tokens_for_others(client, tokens, engine):
    before = dump(engine)
    refused = client.post("/api/tokens", json={"user": "admin"}, headers=auth(tokens["editor"]))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "user"
    too_long = client.post(
        "/api/tokens", json={"expires_in_days": 99_999}, headers=auth(tokens["editor"])
    )
    assert too_long.status_code == 400
    assert dump(engine) == before
    made = client.post("/api/tokens", json={"user": "editor"}, headers=auth(tokens["admin"]))
    assert made.status_code == 201
    assert made.json()["token"]["user"] == "editor"


def test_a_revoked_token_is_refused_and_others_tokens_cannot_be_revoked(client, tokens, engine):
    mine = client.get("/api/tokens", headers=auth(tokens["editor"])).json()[0]["id"]
    theirs = client.get("/api/tokens", headers=auth(tokens["admin"]),
                        params={"user": "viewer"}).json()[0]["id"]  # fmt: skip
    before = dump(engine)
    refused = client.delete(f"/api/tokens/{theirs}", headers=auth(tokens["editor"]))
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["field"] == "token_id"
    assert dump(engine) == before
    assert client.delete(f"/api/tokens/{mine}", headers=auth(tokens["editor"])).status_code == 204
    gone = client.get("/api/tokens", headers=auth(tokens["editor"]))
    assert gone.status_code == 401
    (row,) = [c for c in _account_changes(engine) if c.key == str(mine)]
    assert (row.actor, row.after is not None and row.after["revoked_at"] is not None) == (
        "editor", True,
    )  # fmt: skip
    # An admin revokes anyone's.
    assert client.delete(f"/api/tokens/{theirs}", headers=auth(tokens["admin"])).status_code == 204
    assert client.get("/api/tokens", headers=auth(tokens["viewer"])).status_code == 401


def test_an_expired_token_is_refused(client, tokens, engine):
    with unit_of_work(engine) as session:
        _, old = create_token(session, username="editor", actor="admin", days=1,
                              now=datetime.now(UTC) - timedelta(days=2))  # fmt: skip
    refused = client.get("/api/tokens", headers=auth(old))
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["field"] == "authorization"


def test_a_tokens_last_use_is_noted_once_a_minute(client, tokens, engine):
    uses = client.app.state.token_uses
    clock = [T0]
    uses.clock = lambda: clock[0]
    editor = _user(engine, "editor").id

    def last_used() -> datetime | None:
        with Session(engine) as session:
            row = session.exec(select(ApiToken).where(ApiToken.user_id == editor)).one()
            return row.last_used_at

    assert last_used() is None
    client.get("/api/tokens", headers=auth(tokens["editor"]))
    assert last_used() == T0
    clock[0] = T0 + timedelta(seconds=59)
    client.get("/api/tokens", headers=auth(tokens["editor"]))
    assert last_used() == T0  # within the minute: not written again
    clock[0] = T0 + timedelta(minutes=5)
    client.get("/api/tokens", headers=auth(tokens["editor"]))
    assert last_used() == T0 + timedelta(minutes=5)
    listed = client.get("/api/tokens", headers=auth(tokens["editor"])).json()
    assert datetime.fromisoformat(listed[0]["last_used_at"]) == T0 + timedelta(minutes=5)


@pytest.mark.one_database
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_adding_a_user_hashes_off_the_event_loop_and_outside_the_write_lock(
    client, tokens, engine, monkeypatch
):
    """While the new user's password is being hashed, /health answers and another person's
    write goes through (the hash is made before the write lock is taken)."""
    entered, release = threading.Event(), threading.Event()
    order = []
    real = users._hasher

    class Held:
        def hash(self, password):
            entered.set()
            release.wait(timeout=60)  # a safety net only: the test releases it
            order.append("hashed")
            return real.hash(password)

    monkeypatch.setattr(users, "_hasher", Held())
    answers = []
    adding = threading.Thread(target=lambda: answers.append(client.post(
        "/api/users", json={"username": "gina", "role": "viewer"},
        headers=auth(tokens["admin"]))))  # fmt: skip
    adding.start()
    try:
        assert entered.wait(timeout=60)
        health = client.get("/health")
        made = client.post("/api/tokens", json={}, headers=auth(tokens["editor"]))
        order.append("others served")
    finally:
        release.set()
        adding.join(timeout=60)
    assert order == ["others served", "hashed"]
    assert (health.status_code, made.status_code) == (200, 201)
    assert [a.status_code for a in answers] == [201]


def test_a_token_for_a_disabled_or_unknown_user_names_the_user(client, tokens, engine):
    client.patch("/api/users/editor", json={"active": False}, headers=auth(tokens["admin"]))
    before = dump(engine)
    for user, status in (("editor", 422), ("nobody", 404)):
        refused = client.post("/api/tokens", json={"user": user}, headers=auth(tokens["admin"]))
        assert refused.status_code == status
        assert refused.json()["errors"][0]["field"] == "user"
    assert dump(engine) == before
