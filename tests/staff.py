"""Helpers for the staff pages' tests: sign in through the form, read pages by parsing them."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import Engine

from registry.database import unit_of_work
from registry.users import add_user

PASSWORDS = {role: f"{role} password 1234" for role in ("viewer", "editor", "admin")}


def add_staff(engine: Engine) -> None:
    """A viewer, an editor and an admin, named after their roles, who sign in with passwords."""
    with unit_of_work(engine) as session:
        for role, password in PASSWORDS.items():
            add_user(session, username=role, role=role, password=password, actor="fixture")


class Html(HTMLParser):
    """What a test reads off a page: words, links, form values, field messages, table rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.words_: list[str] = []
        self.links: list[str] = []
        self.values: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.rows: dict[str, list[str]] = {}
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._error: str | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        if tag == "input" and "name" in found:
            self.values[found["name"]] = found.get("value", "")
        if tag == "select":
            self._select = found.get("name")
            self.values.setdefault(found.get("name", ""), "")
        if tag == "option" and self._select and "selected" in found:
            self.values[self._select] = found.get("value", "")
        if tag == "textarea":
            self._textarea = found.get("name")
            self.values[found.get("name", "")] = ""
        if tag == "table":
            self._table = found.get("class", "")
            self.rows.setdefault(self._table, [])
        if tag == "tr" and self._table is not None:
            self._row = []
        if tag == "p" and "field-error" in found.get("class", ""):
            self._error = found["id"].removesuffix("-error")
            self.errors[self._error] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None and self._table is not None:
            self.rows[self._table].append(" ".join(" ".join(self._row).split()))
            self._row = None
        if tag == "table":
            self._table = None
        if tag == "p":
            self._error = None
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        self.words_.append(data)
        if self._row is not None:
            self._row.append(data)
        if self._error:
            self.errors[self._error] += data
        if self._textarea:
            self.values[self._textarea] += data

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.words_).split())


def sign_in(client: TestClient[Any], role: str, *, next: str = "/ui/programmes") -> str:
    """Sign in through the form as the user named `role`; returns the session's form token."""
    form = Html(client.get("/ui/signin", params={"next": next}).text)
    response = client.post(
        "/ui/signin",
        data={"csrf_token": form.values["csrf_token"], "username": role,
              "password": PASSWORDS[role], "next": next},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
    return form_token(client)


def form_token(client: TestClient[Any]) -> str:
    return Html(client.get("/ui/programmes").text).values["csrf_token"]
