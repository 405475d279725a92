"""Failed sign-ins are limited per username and address, counted in the database on a clock the
tests set: no test here depends on how fast the machine is."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, func, select

from api.app import create_app
from api.ui.throttle import SignInThrottle, try_again_in
from registry import users
from registry.audit import Change, DataVersion
from registry.signin_failures import FAILURES_ALLOWED, WINDOW, SignInFailure
from tests.conftest import dump
from tests.staff import PASSWORDS, Html


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def failures(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(SignInFailure)).one()


def test_five_failures_hold_that_username_from_that_address_for_the_window(session):
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(FAILURES_ALLOWED):
        assert not throttle.wait(session, "Editor", "10.0.0.1")
        throttle.failed(session, "Editor", "10.0.0.1")
    assert throttle.wait(session, "editor", "10.0.0.1") == WINDOW  # names compared without case
    assert not throttle.wait(session, "editor", "10.0.0.2")  # another address
    assert not throttle.wait(session, "viewer", "10.0.0.1")  # another user
    clock.now += WINDOW
    assert not throttle.wait(session, "editor", "10.0.0.1")


def test_the_wait_lasts_until_the_oldest_failure_leaves_the_window(session):
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(FAILURES_ALLOWED):
        throttle.failed(session, "editor", "a")
        clock.now += timedelta(minutes=1)
    # The first failure was 5 minutes ago: 10 minutes remain.
    assert throttle.wait(session, "editor", "a") == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("wait", "words"),
    [(WINDOW, "try again in 15 minutes"),
     (timedelta(minutes=14, microseconds=1), "try again in 15 minutes"),
     (timedelta(minutes=14), "try again in 14 minutes"),
     (timedelta(seconds=30), "try again in 1 minute")],
)  # fmt: skip
def test_the_wait_is_stated_in_whole_minutes_rounded_up(wait, words):
    assert try_again_in(wait) == words


def test_a_success_clears_the_failures(session):
    throttle = SignInThrottle(Clock())
    for _ in range(FAILURES_ALLOWED - 1):
        throttle.failed(session, "editor", "a")
    throttle.succeeded(session, "editor", "a")
    throttle.failed(session, "editor", "a")
    assert not throttle.wait(session, "editor", "a")


def test_failures_older_than_the_window_are_deleted_when_one_is_recorded(engine, session):
    clock = Clock()
    throttle = SignInThrottle(clock)
    for number in range(50):
        throttle.failed(session, f"guess {number}", "10.0.0.1")
    clock.now += WINDOW
    throttle.failed(session, "editor", "10.0.0.1")
    session.commit()
    assert failures(engine) == 1


def test_a_failure_is_stored_under_a_fixed_size_hash_never_the_username(engine, session):
    username = "someone@example.org"
    SignInThrottle(Clock()).failed(session, username, "10.0.0.1")
    session.commit()
    row = session.exec(select(SignInFailure)).one()
    assert len(row.key) == 64
    assert username not in str(dump(engine))


def test_failures_are_not_registry_changes(session):
    """Guessing passwords must not throw away the readers' caches, nor fill the change log."""
    version = session.get(DataVersion, 1)
    before = (version.version if version else None, len(session.exec(select(Change)).all()))
    throttle = SignInThrottle(Clock())
    throttle.failed(session, "editor", "a")
    throttle.succeeded(session, "editor", "a")
    session.commit()
    session.expire_all()
    version = session.get(DataVersion, 1)
    assert (version.version if version else None, len(session.exec(select(Change)).all())) == before


def attempt(client, password, *, username="editor"):
    form = Html(client.get("/ui/signin").text)
    data = {"csrf_token": form.values["csrf_token"], "username": username, "password": password}
    return client.post("/ui/signin", data=data, follow_redirects=False)


def test_after_five_wrong_passwords_even_the_right_one_waits(client, staff):
    """Guards a fixed flaky test and message: the wait was read off the wall clock and said
    "16 minutes" right after a lock-out (15 on a busy machine)."""
    clock = Clock()
    client.app.state.signin_throttle = SignInThrottle(clock)
    for _ in range(FAILURES_ALLOWED):
        assert attempt(client, "guess guess guess").status_code == 422
    refused = attempt(client, PASSWORDS["editor"])
    assert refused.status_code == 429
    assert Html(refused.text).errors["password"] == (
        "too many failed sign-ins; try again in 15 minutes"
    )
    assert "registry_session" not in refused.cookies
    clock.now += timedelta(minutes=14, seconds=30)
    refused = attempt(client, PASSWORDS["editor"])
    assert Html(refused.text).errors["password"] == (
        "too many failed sign-ins; try again in 1 minute"
    )
    clock.now += timedelta(seconds=30)
    assert attempt(client, PASSWORDS["editor"]).status_code == 303


def test_failures_are_committed_and_counted_by_every_worker(client, engine, app_settings, staff):
    """Guards a fixed gap: each worker counted in its own memory, so N workers allowed N times
    the guesses. Two apps on one database stand for two workers."""
    clock = Clock()
    client.app.state.signin_throttle = SignInThrottle(clock)
    with TestClient(create_app(app_settings), base_url="https://testserver.local") as other:
        other.app.state.signin_throttle = SignInThrottle(clock)
        for number in range(FAILURES_ALLOWED):
            assert attempt(client if number % 2 else other, "guess guess guess").status_code == 422
            assert failures(engine) == number + 1  # seen by a connection of its own: committed
        assert attempt(other, PASSWORDS["editor"]).status_code == 429
    assert attempt(client, PASSWORDS["editor"]).status_code == 429


@pytest.mark.parametrize("username", ["x" * 2_000_000, "e" * 81])
def test_a_name_no_user_can_have_is_refused_before_it_goes_anywhere(
    client, engine, staff, username
):
    """Guards a fixed leak: the throttle kept every name typed, so 60 failed sign-ins with
    2 MB names grew the server by ~350 MB."""
    before = dump(engine)
    refused = attempt(client, "guess guess guess", username=username)
    assert refused.status_code == 422
    page = Html(refused.text)
    assert page.errors["password"] == "unknown user or wrong password"
    assert page.values["username"] == ""
    assert len(refused.text) < 20_000
    assert dump(engine) == before


def test_a_name_of_80_characters_is_throttled_like_any_other(client, engine, staff):
    assert attempt(client, "guess guess guess", username="e" * 80).status_code == 422
    assert failures(engine) == 1


def test_the_password_check_leaves_the_event_loop_free(client, staff, monkeypatch):
    """Guards a fixed stall: argon2 ran on the event loop, so each sign-in held up every other
    request of the worker. While a password check is held mid-way, /health still answers, and
    the waiting sign-in holds no database connection."""
    entered, release = threading.Event(), threading.Event()
    order = []
    real = users._hasher

    class Held:
        def verify(self, stored, given):
            entered.set()
            release.wait(timeout=60)  # a safety net only: the test releases it
            order.append("password checked")
            return real.verify(stored, given)

    monkeypatch.setattr(users, "_hasher", Held())
    token = Html(client.get("/ui/signin").text).values["csrf_token"]
    data = {"csrf_token": token, "username": "editor", "password": PASSWORDS["editor"]}
    answers = []
    signing_in = threading.Thread(
        target=lambda: answers.append(client.post("/ui/signin", data=data, follow_redirects=False))
    )
    signing_in.start()
    try:
        assert entered.wait(timeout=60)
        connections_held = client.app.state.engine.pool.checkedout()
        health = client.get("/health")
        order.append("health answered")
    finally:
        release.set()
        signing_in.join(timeout=60)
    assert order == ["health answered", "password checked"]
    assert health.status_code == 200
    assert connections_held == 0
    assert [answer.status_code for answer in answers] == [303]
