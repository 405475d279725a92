"""Per-request plumbing: the transaction, who is calling, request ids, If-Match."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler
from sqlmodel import Session

from registry.choices import UserRole
from registry.database import pk, unit_of_work
from registry.errors import StaleVersion, Unauthorized
from registry.settings import Settings
from registry.token_use import TokenUses
from registry.users import User, require_role, token_row

T = TypeVar("T")


async def provide_session(state: State) -> AsyncGenerator[Session, None]:
    """One transaction per request: committed after the handler, rolled back if anything raised.

    An async generator on purpose: Litestar runs a sync generator's clean-up on the same small
    thread pool the handlers use, which deadlocks under load. The handlers are short and run on
    the event loop (`sync_to_thread=False`): a handler in a thread would hold a pooled connection
    while its clean-up waits for the loop (tests/test_api_load.py runs 64 connections).
    """
    with unit_of_work(state.engine) as session:
        yield session


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("authorization", "use the header `Authorization: Bearer <token>`")
    return token.strip()


async def access_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Writes need a token of the handler's role (opt `role`); reads only without public read.
    A token's first use in a minute is noted (registry/token_use.py) before the handler runs."""
    settings: Settings = connection.app.state.settings
    needed: UserRole | None = handler.opt.get("role")
    if handler.opt.get("public") or connection.url.path.startswith("/schema"):
        return  # health probes and the API's own documentation
    if handler.opt.get("web"):
        return  # the staff pages sign people in with a session cookie (api/ui/auth.py)
    if needed is None and not settings.public_read:
        needed = UserRole.VIEWER
    if needed is None:
        return
    token = _bearer(connection)
    if token is None:
        raise Unauthorized("authorization", "this needs a bearer token")
    with Session(connection.app.state.engine) as session:
        row = token_row(session, token)
        user = session.get(User, row.user_id)
    assert user is not None  # token_row checked it
    require_role(user, needed)
    connection.state.user = user
    uses: TokenUses = connection.app.state.token_uses
    if (now := uses.due(row)) is not None:
        await anyio.to_thread.run_sync(uses.write, pk(row), now)


def actor(request: Request[Any, Any, Any]) -> str:
    """The username behind the request (set by `access_guard` on every write)."""
    user: User = request.state.user
    return user.username


def expected_version(request: Request[Any, Any, Any]) -> int | None:
    """The version named by `If-Match` (an ETag of ours, `"3"`), None without one or with `*`."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()):
        raise StaleVersion("version", f"If-Match {header!r} is not an ETag of this record")
    return int(tag)


BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
"""OpenAPI security requirement of the write endpoints."""
EDITOR = {"role": UserRole.EDITOR}
ADMIN = {"role": UserRole.ADMIN}


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


async def in_worker(request: Request[Any, Any, Any], write: Callable[[Session], T]) -> T:
    """Run a slow write (one that hashes a password) in a worker thread, in a transaction of its
    own, so the event loop goes on serving and no pooled connection waits on the loop."""
    engine = request.app.state.engine

    def run() -> T:
        with unit_of_work(engine) as session:
            return write(session)

    return await anyio.to_thread.run_sync(run)
