"""A reset password must be changed at the next sign-in, through the staff pages."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from registry.accounts import list_users, reset_password
from registry.database import unit_of_work
from registry.users import authenticate
from tests.conftest import dump
from tests.staff import Html

NEW = "a brand new long password"


def reset(engine: Any, username: str = "editor") -> str:
    with unit_of_work(engine) as session:
        return reset_password(session, username=username, actor="admin")


def sign_in_with(client: TestClient[Any], username: str, password: str, next: str) -> Any:
    form = Html(client.get("/ui/signin", params={"next": next}).text)
    return client.post(
        "/ui/signin",
        data={"csrf_token": form.values["csrf_token"], "username": username,
              "password": password, "next": next},
        follow_redirects=False,
    )  # fmt: skip


def change(client: TestClient[Any], old: str, new: str, repeat: str | None = None) -> Any:
    form = Html(client.get("/ui/account/password", params={"next": "/ui/nations"}).text)
    return client.post(
        "/ui/account/password",
        data={"csrf_token": form.values["csrf_token"], "old_password": old,
              "new_password": new, "repeat": new if repeat is None else repeat,
              "next": "/ui/nations"},
        follow_redirects=False,
    )  # fmt: skip


def test_a_reset_password_is_changed_before_anything_else(client, seeded, staff, engine):
    once = reset(engine)
    signed = sign_in_with(client, "editor", once, "/ui/nations")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/ui/account/password?next=/ui/nations"
    # Every other page leads back to the form until the password is changed.
    elsewhere = client.get("/ui/programmes/mmf", follow_redirects=False)
    assert elsewhere.headers["location"] == "/ui/account/password?next=/ui/programmes/mmf"
    changed = change(client, once, NEW)
    assert (changed.status_code, changed.headers["location"]) == (303, "/ui/nations")
    assert client.get("/ui/programmes/mmf").status_code == 200
    with Session(engine) as session:
        assert not authenticate(session, "editor", NEW).must_change_password
        editor = next(u for u in list_users(session) if u.username == "editor")
        assert editor.last_signed_in_at is not None


def test_a_refused_password_change_names_the_field_and_changes_nothing(
    client, seeded, staff, engine
):
    once = reset(engine)
    sign_in_with(client, "editor", once, "/ui/nations")
    for old, new, repeat, field in [
        ("not the password", NEW, None, "old_password"),
        (once, "short", None, "new_password"),
        (once, NEW, "something else entirely", "repeat"),
    ]:
        before = dump(engine)
        refused = change(client, old, new, repeat)
        assert refused.status_code == 422, field
        page = Html(refused.text)
        assert f"{field}-error" in refused.text, field
        assert "Change your password" in page.words
        assert dump(engine) == before, field
    with Session(engine) as session:
        assert authenticate(session, "editor", once).must_change_password
