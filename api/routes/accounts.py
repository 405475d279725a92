"""Accounts (admins): users and API tokens; a person's own tokens; the security log.

Adding a user and resetting a password hash a password (argon2, slow on purpose): those run in a
worker thread with a transaction of their own, so the event loop goes on serving."""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import Session

from api import wire
from api import wire_accounts as accounts_wire
from api.deps import ADMIN, BEARER, in_worker
from api.docs import READ_ERRORS, WRITE_ERRORS, documented
from api.routes.params import Limit, Offset
from registry.accounts import (
    add_account,
    create_token_as,
    list_users,
    reset_password,
    revoke_token_as,
    security_log,
    set_active,
    set_role,
    token_state,
    tokens_seen_by,
)
from registry.choices import UserRole
from registry.errors import NotFound
from registry.users import User, find_user

T = TypeVar("T")
ANYONE = {"role": UserRole.VIEWER}
"""Any signed-in token holder (their own tokens): the guard then knows who is asking."""
READ_DENIED = {**READ_ERRORS, **{k: v for k, v in WRITE_ERRORS.items() if k == 403}}


def _caller(request: Request[Any, Any, Any]) -> User:
    user: User = request.state.user
    return user


def _user(session: Session, username: str) -> User:
    found = find_user(session, username)
    if found is None:
        raise NotFound("username", f"no user {username!r}")
    return found


@get("/api/users", sync_to_thread=False, opt=ADMIN, security=BEARER, summary="Users (admins)",
     responses=READ_DENIED)  # fmt: skip
def users(session: NamedDependency[Session]) -> list[accounts_wire.UserOut]:
    """Every user by name: role, whether active, whether a password change is due, last
    sign-in to the staff pages."""
    return [accounts_wire.user_out(u) for u in list_users(session)]


@post("/api/users", opt=ADMIN, security=BEARER, summary="Add a user (admins)",
      responses=WRITE_ERRORS, operation_class=documented(body=accounts_wire.UserIn))  # fmt: skip
async def add(
    request: Request[Any, Any, Any], data: JSONBody[accounts_wire.UserIn]
) -> Response[accounts_wire.NewPassword]:
    """Answers a one-time password, shown only here: the user must change it at their first
    sign-in."""
    actor = _caller(request).username

    def write(session: Session) -> accounts_wire.NewPassword:
        user, password = add_account(session, username=data.username, role=data.role, actor=actor)
        return accounts_wire.NewPassword(accounts_wire.user_out(user), password)

    return Response(await in_worker(request, write), status_code=201)


@get("/api/users/{username:str}", sync_to_thread=False, opt=ADMIN, security=BEARER,
     summary="One user (admins)", responses=READ_DENIED)  # fmt: skip
def user(session: NamedDependency[Session], username: FromPath[str]) -> accounts_wire.UserOut:
    return accounts_wire.user_out(_user(session, username))


@patch("/api/users/{username:str}", sync_to_thread=False, opt=ADMIN, security=BEARER,
       summary="Change a user's role, or disable or enable them (admins)",
       responses=WRITE_ERRORS,
       operation_class=documented(body=accounts_wire.UserPatch))  # fmt: skip
def change_user(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    username: FromPath[str],
    data: JSONBody[accounts_wire.UserPatch],
) -> accounts_wire.UserOut:
    """A disabled user's sessions and tokens stop working at once. The registry always keeps an
    active admin: the last one can be neither disabled nor given another role (409)."""
    actor = _caller(request).username
    changes = wire.given(data)
    found = _user(session, username)
    if "role" in changes:
        found = set_role(session, username=username, role=changes["role"], actor=actor)
    if "active" in changes:
        found = set_active(session, username=username, active=changes["active"], actor=actor)
    return accounts_wire.user_out(found)


@post("/api/users/{username:str}/reset-password", opt=ADMIN, security=BEARER, status_code=200,
      summary="Reset a user's password (admins)", responses=WRITE_ERRORS)  # fmt: skip
async def reset(
    request: Request[Any, Any, Any], username: FromPath[str]
) -> accounts_wire.NewPassword:
    """A one-time password, shown only here, to be changed at the next sign-in; the user's open
    sessions end. Their tokens keep working (revoke them apart)."""
    actor = _caller(request).username

    def write(session: Session) -> accounts_wire.NewPassword:
        password = reset_password(session, username=username, actor=actor)
        return accounts_wire.NewPassword(accounts_wire.user_out(_user(session, username)), password)

    return await in_worker(request, write)


@get("/api/tokens", sync_to_thread=False, opt=ANYONE, security=BEARER,
     summary="API tokens: yours, or (admins) anyone's", responses=READ_DENIED)  # fmt: skip
def tokens(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    user: FromQuery[str | None] = None,
) -> list[accounts_wire.TokenOut]:
    """Newest first: hint, created, last used (to the minute), expiry, state. Admins see every
    token (`user` to pick one person's); anyone else their own."""
    rows = tokens_seen_by(session, _caller(request), user)
    return [
        accounts_wire.token_out(token, owner, token_state(token, owner)) for token, owner in rows
    ]


@post("/api/tokens", sync_to_thread=False, opt=ANYONE, security=BEARER,
      summary="Create an API token", responses=WRITE_ERRORS,
      operation_class=documented(body=accounts_wire.TokenIn))  # fmt: skip
def create_token(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: JSONBody[accounts_wire.TokenIn],
) -> Response[accounts_wire.NewToken]:
    """For yourself, or (admins) for `user`; it works for `expires_in_days` (default 90). The
    secret is shown only in this answer."""
    row, secret = create_token_as(
        session, _caller(request), username=data.user, days=data.expires_in_days
    )
    owner = _user(session, data.user or _caller(request).username)
    body = accounts_wire.NewToken(
        accounts_wire.token_out(row, owner, token_state(row, owner)), secret
    )
    return Response(body, status_code=201)


@delete("/api/tokens/{token_id:int}", sync_to_thread=False, opt=ANYONE, security=BEARER,
        summary="Revoke an API token", responses=WRITE_ERRORS)  # fmt: skip
def revoke(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    token_id: FromPath[int],
) -> None:
    """One of yours, or (admins) anyone's: it stops working at once; the record stays."""
    revoke_token_as(session, _caller(request), token_id)


@get("/api/security-log", sync_to_thread=False, opt=ADMIN, security=BEARER,
     summary="Changes to users and tokens (admins)", responses=READ_DENIED)  # fmt: skip
def log(
    session: NamedDependency[Session], limit: Limit = 50, offset: Offset = 0
) -> wire.Page[wire.ChangeOut]:
    """Newest first: who added, disabled, reset or gave a role to whom, and every token created
    or revoked. These changes stay out of the change log."""
    page = security_log(session, limit=limit, offset=offset)
    return wire.Page([wire.change_out(row[0]) for row in page.items], page.total, limit, offset)


router = Router(
    "/",
    route_handlers=[users, add, user, change_user, reset, tokens, create_token, revoke, log],
    tags=["accounts"],
)
