"""Users, argon2 passwords, API tokens stored hashed, and roles."""

import pytest
from sqlmodel import select

from registry import users
from registry.audit import Change
from registry.choices import UserRole
from registry.database import pk
from registry.errors import Conflict, Forbidden, InvalidValue, NotFound, Unauthorized
from registry.users import (
    ApiToken,
    add_user,
    authenticate,
    check_password,
    create_token,
    password_to_check,
    require_role,
    revoke_token,
    user_for_token,
)

PASSWORD = "correct horse battery staple"


def test_password_is_stored_as_argon2_and_checked(session):
    add_user(session, username="alice", role="editor", password=PASSWORD, actor="admin")
    session.commit()
    user = authenticate(session, "alice", PASSWORD)
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    with pytest.raises(Unauthorized):
        authenticate(session, "alice", "wrong password!!")
    with pytest.raises(Unauthorized):
        authenticate(session, "nobody", PASSWORD)


def test_the_audit_trail_never_holds_the_password_hash(session):
    add_user(session, username="alice", role="editor", password=PASSWORD, actor="admin")
    session.commit()
    change = session.exec(select(Change).where(Change.entity == "user")).one()
    assert change.after is not None
    assert "password_hash" not in change.after
    assert change.after["role"] == "editor"


def test_token_is_shown_once_and_stored_only_as_a_hash(session):
    add_user(session, username="alice", role="editor", actor="admin")
    _, token = create_token(session, username="alice", actor="admin")
    session.commit()
    stored = session.exec(select(ApiToken)).one()
    assert token not in (stored.token_hash, stored.hint)
    assert len(stored.token_hash) == 64
    assert user_for_token(session, token).username == "alice"
    with pytest.raises(Unauthorized):
        user_for_token(session, token + "x")


def test_a_revoked_token_no_longer_works_and_the_revocation_is_audited(session):
    add_user(session, username="alice", role="editor", actor="admin")
    row, token = create_token(session, username="alice", actor="admin")
    revoke_token(session, token_id=pk(row), actor="admin")
    session.commit()
    with pytest.raises(Unauthorized):
        user_for_token(session, token)
    change = session.exec(select(Change).where(Change.action == "update")).one()
    assert (change.entity, change.actor) == ("api_token", "admin")
    assert change.after is not None
    assert change.after["revoked_at"] is not None


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [("viewer", "viewer", True), ("viewer", "editor", False), ("editor", "editor", True),
     ("editor", "admin", False), ("admin", "editor", True)],
)  # fmt: skip
def test_roles_rank_viewer_editor_admin(session, role, needed, allowed):
    user = add_user(session, username="u", role=role, actor="admin")
    if allowed:
        require_role(user, UserRole(needed))
    else:
        with pytest.raises(Forbidden) as info:
            require_role(user, UserRole(needed))
        assert info.value.status == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "root"}, "role"),
        ({"username": ""}, "username"),
        ({"password": "short"}, "password"),
    ],
)
def test_bad_users_are_refused(refused, fields, field):
    values = {"username": "bob", "role": "viewer"} | fields
    error = refused(InvalidValue, lambda s: add_user(s, actor="admin", **values))
    assert error.fields == [field]


def test_usernames_are_unique(session, refused):
    add_user(session, username="bob", role="viewer", actor="admin")
    session.commit()
    error = refused(Conflict, lambda s: add_user(s, username="bob", role="admin", actor="admin"))
    assert error.fields == ["username"]


def test_token_for_unknown_user_is_not_found(refused):
    error = refused(NotFound, lambda s: create_token(s, username="ghost", actor="admin"))
    assert error.fields == ["username"]


@pytest.mark.parametrize("username", ["alice", "nobody", "retired"])
def test_signing_in_checks_a_password_hash_whether_or_not_the_user_exists(
    session, monkeypatch, username
):
    """Guards a fixed leak: an unknown name was refused at once, a known one after argon2's
    ~80 ms, so the time of a failed sign-in told which usernames exist."""
    add_user(session, username="alice", role="viewer", password=PASSWORD, actor="tester")
    retired = add_user(session, username="retired", role="viewer", password=PASSWORD, actor="t")
    retired.active = False
    session.flush()
    checked = []
    real = users._hasher

    class Counting:
        def verify(self, stored, given):
            checked.append(1)
            return real.verify(stored, given)

        def hash(self, password):  # the dummy hash for unknown users is made on first use
            return real.hash(password)

    monkeypatch.setattr(users, "_hasher", Counting())
    with pytest.raises(Unauthorized):
        authenticate(session, username, "wrong password!!")
    assert checked == [1]
    if username == "retired":
        with pytest.raises(Unauthorized):
            authenticate(session, username, PASSWORD)  # right password, inactive user


@pytest.mark.parametrize("username", ["e" * 81, "edi\x00tor"])
def test_a_name_no_user_can_have_is_checked_against_the_dummy_hash_without_a_query(
    session, username
):
    """PostgreSQL refuses NUL in a query (a 500 before); an over-long name cannot exist."""
    add_user(session, username="editor", role="editor", password=PASSWORD, actor="tester")
    with pytest.raises(Unauthorized):
        authenticate(session, username, PASSWORD)


def test_the_password_check_touches_no_database(session):
    """So it may run in a worker thread while the request's connection stays free."""
    add_user(session, username="alice", role="viewer", password=PASSWORD, actor="tester")
    session.commit()
    user, stored = password_to_check(session, "alice")
    session.close()
    assert check_password(user, stored, PASSWORD).username == "alice"
    with pytest.raises(Unauthorized):
        check_password(user, stored, "wrong password!!")
    nobody, dummy = password_to_check(session, "nobody")
    assert nobody is None
    with pytest.raises(Unauthorized):
        check_password(nobody, dummy, "no such user")  # even the dummy hash's own password
