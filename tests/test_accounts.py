"""Administering accounts: roles, disabling, password resets and changes, token expiry and use."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from registry.accounts import (
    change_password,
    list_tokens,
    list_users,
    reset_password,
    set_active,
    set_role,
    token_state,
)
from registry.audit import Change
from registry.cli import main
from registry.database import pk
from registry.errors import Conflict, InvalidValue, NotFound, Unauthorized
from registry.users import (
    ApiToken,
    add_user,
    authenticate,
    create_token,
    revoke_token,
    token_row,
)
from registry.web_sessions import find_session, open_session

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(session: Session) -> Session:
    """An admin and an editor with passwords."""
    add_user(session, username="ada", role="admin", password=PASSWORD, actor="test")
    add_user(session, username="ed", role="editor", password=PASSWORD, actor="test")
    session.commit()
    return session


def test_users_are_listed_by_name_with_role_and_state(people):
    set_active(people, username="ed", active=False, actor="ada")
    assert [(u.username, u.role, u.active) for u in list_users(people)] == [
        ("ada", "admin", True), ("ed", "editor", False),
    ]  # fmt: skip


def test_a_role_change_is_kept_and_attributed(people):
    set_role(people, username="ed", role="viewer", actor="ada")
    people.commit()
    (change,) = people.exec(select(Change).where(Change.key == "ed", Change.action == "update"))
    assert (change.actor, change.before["role"], change.after["role"]) == (
        "ada",
        "editor",
        "viewer",
    )
    assert "password_hash" not in change.after


@pytest.mark.parametrize(
    ("write", "kind", "field"),
    [
        (lambda s: set_role(s, username="ed", role="root", actor="ada"), InvalidValue, "role"),
        (lambda s: set_role(s, username="nobody", role="viewer", actor="ada"), NotFound, "username"),
        (lambda s: set_active(s, username="nobody", active=False, actor="ada"), NotFound,
         "username"),
        # The registry keeps an active admin: the only one can be neither disabled nor demoted.
        (lambda s: set_active(s, username="ada", active=False, actor="ada"), Conflict, "active"),
        (lambda s: set_role(s, username="ada", role="editor", actor="ada"), Conflict, "role"),
        (lambda s: reset_password(s, username="nobody", actor="ada"), NotFound, "username"),
        (lambda s: change_password(s, username="ed", old="wrong password!", new="x" * 12),
         Unauthorized, "username"),
        (lambda s: change_password(s, username="ed", old=PASSWORD, new="short"), InvalidValue,
         "new_password"),
        (lambda s: change_password(s, username="ed", old=PASSWORD, new=PASSWORD), InvalidValue,
         "new_password"),
        (lambda s: create_token(s, username="ed", actor="ada", days=0), InvalidValue, "expires"),
        (lambda s: create_token(s, username="ed", actor="ada", days=3651), InvalidValue,
         "expires"),
    ],
)  # fmt: skip
def test_refused_account_changes_name_the_field_and_write_nothing(
    people, refused, write, kind, field
):
    error = refused(kind, write)
    assert error.fields == [field]


def test_a_second_admin_may_disable_the_first(people):
    set_role(people, username="ed", role="admin", actor="ada")
    set_active(people, username="ada", active=False, actor="ed")
    people.commit()
    assert [u.active for u in list_users(people)] == [False, True]


def test_a_disabled_users_session_and_token_stop_working_at_once(people, engine):
    ed = authenticate(people, "ed", PASSWORD)
    cookie = open_session(people, ed)
    _, secret = create_token(people, username="ed", actor="ada")
    people.commit()
    set_active(people, username="ed", active=False, actor="ada")
    people.commit()
    with Session(engine) as fresh:
        assert find_session(fresh, cookie) is None
        with pytest.raises(Unauthorized):
            token_row(fresh, secret)
        with pytest.raises(Unauthorized):
            authenticate(fresh, "ed", PASSWORD)
    set_active(people, username="ed", active=True, actor="ada")
    people.commit()
    assert token_row(people, secret).user_id == ed.id


def test_a_reset_gives_a_one_time_password_to_be_changed(people):
    once = reset_password(people, username="ed", actor="ada")
    people.commit()
    with pytest.raises(Unauthorized):
        authenticate(people, "ed", PASSWORD)
    ed = authenticate(people, "ed", once)
    assert ed.must_change_password
    change_password(people, username="ed", old=once, new="a new long password")
    people.commit()
    assert not authenticate(people, "ed", "a new long password").must_change_password
    with pytest.raises(Unauthorized):
        authenticate(people, "ed", once)


def test_a_token_works_until_it_expires(people):
    row, secret = create_token(people, username="ed", actor="ada", days=30, now=T0)
    people.commit()
    assert row.expires_at == T0 + timedelta(days=30)
    assert token_row(people, secret, now=T0 + timedelta(days=29, hours=23)).id == row.id
    with pytest.raises(Unauthorized) as refused:
        token_row(people, secret, now=T0 + timedelta(days=30))
    assert refused.value.fields == ["authorization"]


def test_an_expired_token_is_refused_by_the_api_with_401(people, client):
    _, secret = create_token(people, username="ed", actor="ada", days=1, now=T0)
    people.commit()
    answer = client.post("/api/programmes", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert [e["field"] for e in answer.json()["errors"]] == ["authorization"]


def test_tokens_are_listed_newest_first_with_their_user(people):
    create_token(people, username="ed", actor="ada", now=T0)
    create_token(people, username="ada", actor="ada", now=T0 + timedelta(days=1))
    people.commit()
    assert [user.username for _, user in list_tokens(people)] == ["ada", "ed"]
    assert [user.username for _, user in list_tokens(people, "ed")] == ["ed"]


def test_a_tokens_state_says_why_it_does_not_work(people):
    old, _ = create_token(people, username="ed", actor="ada", days=1, now=T0)
    people.commit()
    ((token, user),) = list_tokens(people, "ed")
    assert token_state(token, user, now=T0) == "working"
    assert token_state(token, user, now=T0 + timedelta(days=2)) == "expired"
    set_active(people, username="ed", active=False, actor="ada")
    assert token_state(token, user, now=T0) == "user disabled"
    revoke_token(people, token_id=pk(old), actor="ada")
    assert token_state(token, user, now=T0) == "revoked"


def test_a_reset_ends_the_users_open_sessions(people):
    cookie = open_session(people, authenticate(people, "ed", PASSWORD))
    people.commit()
    reset_password(people, username="ed", actor="ada")
    people.commit()
    assert find_session(people, cookie) is None


def run(engine, *args: str, stdin: str | None = None):
    env = {"REGISTRY_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def test_the_cli_lists_changes_disables_and_resets_users(people, engine):
    assert run(engine, "user", "role", "ed", "viewer").output == "user ed is now viewer\n"
    assert run(engine, "user", "disable", "ed").exit_code == 0
    listed = run(engine, "user", "list").output.splitlines()
    assert listed[1].split()[:3] == ["ada", "admin", "active"]
    assert listed[2].split()[:3] == ["ed", "viewer", "disabled"]
    assert run(engine, "user", "enable", "ed").exit_code == 0
    reset = run(engine, "user", "reset", "ed")
    assert reset.exit_code == 0
    once = reset.output.splitlines()[-1]
    with Session(engine) as session:
        assert authenticate(session, "ed", once).must_change_password


def test_the_cli_creates_lists_and_revokes_tokens(people, engine):
    created = run(engine, "token", "create", "ed", "--expires", "7")
    assert created.exit_code == 0, created.output
    secret = created.output.splitlines()[-1]
    listed = run(engine, "token", "list", "--user", "ed").output.splitlines()
    assert len(listed) == 2
    token_id = listed[1].split()[0]
    assert listed[1].split()[-1] == "working"
    assert run(engine, "token", "revoke", token_id).exit_code == 0
    with Session(engine) as session:
        with pytest.raises(Unauthorized):
            token_row(session, secret)
        (row,) = session.exec(select(ApiToken))
        assert row.expires_at is not None
        assert row.expires_at - row.created_at == timedelta(days=7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "disable", "nobody"], "error: username: no user 'nobody'\n"),
        (["user", "disable", "ada"], "error: active: ada is the only active admin; make "
                                     "another first\n"),
        (["token", "create", "ed", "--expires", "0"], "error: expires: must be a whole number "
                                                      "of days from 1 to 3650\n"),
        (["token", "revoke", "999"], "error: token_id: no token 999\n"),
    ],
)  # fmt: skip
def test_the_cli_refuses_naming_the_field(people, engine, args, message):
    result = run(engine, *args)
    assert (result.exit_code, result.stderr) == (1, message)


def test_tokens_issued_before_expiry_keep_working_after_the_upgrade(people, engine):
    from registry.migrate import downgrade, upgrade

    _, secret = create_token(people, username="ed", actor="ada")
    people.commit()
    people.close()
    downgrade(engine, "0012")
    upgrade(engine)
    with Session(engine) as session:
        row = token_row(session, secret)
        assert row.expires_at is None  # issued without one
        assert not authenticate(session, "ed", PASSWORD).must_change_password


def test_the_cli_lists_a_users_tokens_and_revokes_one_by_its_hint(people, engine):
    run(engine, "token", "create", "ed")
    listed = run(engine, "token", "list", "ed").output.splitlines()
    assert len(listed) == 2
    hint = listed[1].split()[2]
    assert run(engine, "token", "revoke", "reg_nothing").output == (
        "error: token: no token has the hint 'reg_nothing'; give its id\n"
    )
    assert run(engine, "token", "revoke", hint).exit_code == 0
    assert run(engine, "token", "list", "--user", "ed").output.splitlines()[1].split()[-1] == (
        "revoked"
    )
