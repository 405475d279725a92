"""Browser sessions for the staff pages: found by cookie, ended by signing out or by time."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from registry.audit import Change, DataVersion
from registry.users import add_user, first_admin
from registry.web_sessions import WebSession, close_session, find_session, open_session


@pytest.fixture
def alice(session):
    user = add_user(session, username="alice", role="editor", actor="tester")
    session.commit()
    return user


def test_a_cookie_finds_its_session_and_user_and_nothing_else(session, alice):
    cookie = open_session(session, alice)
    found = find_session(session, cookie)
    assert found is not None
    web_session, user = found
    assert user.username == "alice"
    assert web_session.token_hash != cookie
    assert len(web_session.csrf_token) >= 32
    assert find_session(session, cookie + "x") is None
    assert find_session(session, "") is None


def test_closing_a_session_and_expiry_end_it(session, alice):
    cookie = open_session(session, alice)
    close_session(session, cookie)
    assert find_session(session, cookie) is None
    old = open_session(session, alice, hours=-1)
    assert find_session(session, old) is None


def test_opening_a_session_clears_expired_ones(session, alice):
    open_session(session, alice, hours=-1)
    open_session(session, alice)
    rows = session.exec(select(WebSession)).all()
    assert len(rows) == 1
    assert rows[0].expires_at > datetime.now(UTC)


def test_an_inactive_users_session_no_longer_works(session, alice):
    cookie = open_session(session, alice)
    alice.active = False
    session.flush()
    assert find_session(session, cookie) is None


def test_sessions_are_not_registry_changes(session, alice):
    """Signing in must not throw away the readers' caches, nor fill the change log."""
    version = session.get(DataVersion, 1)
    before = (version.version if version else None, len(session.exec(select(Change)).all()))
    close_session(session, open_session(session, alice))
    session.expire_all()
    version = session.get(DataVersion, 1)
    assert (version.version if version else None, len(session.exec(select(Change)).all())) == before


def test_first_admin_only_on_a_registry_without_users(session):
    password = first_admin(session, actor="cli")
    assert password is not None
    assert len(password) >= 12
    assert first_admin(session, actor="cli") is None
