"""Signing in and out of the staff pages: a session cookie, a form token on every post."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any
from urllib.parse import quote

import anyio
from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect
from sqlmodel import Session

from api.ui.render import page
from api.ui.throttle import SignInThrottle, try_again_in
from registry.accounts import note_sign_in
from registry.errors import Forbidden, Unauthorized
from registry.users import (
    MAX_USERNAME_LENGTH,
    User,
    check_password,
    password_to_check,
    require_role,
)
from registry.web_sessions import (
    SESSION_HOURS,
    WebSession,
    close_session,
    find_session,
    open_session,
)

SESSION_COOKIE = "registry_session"
SIGNIN_COOKIE = "registry_signin"
"""Holds the sign-in form's token until the session exists (double-submit, against login CSRF)."""
FORM_TOKEN = "csrf_token"
Form = URLEncodedBody[dict[str, Any]]


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page and comes back to `target`."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


class PasswordChangeNeeded(Exception):
    """A reset password must be replaced first: the browser goes to the form, then `target`."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


def _target(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    query = connection.scope.get("query_string", b"").decode("latin-1")
    return connection.url.path + (f"?{query}" if query else "")


def safe_next(value: Any) -> str:
    """Where to go after signing in: a staff page of ours, never another site."""
    text = str(value or "")
    if text.startswith("/ui") and not text.startswith("//") and "\\" not in text:
        return text
    return "/ui/programmes"


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[WebSession, User] | None:
    """The live session of the request's cookie and its user, or None."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with Session(connection.app.state.engine) as session:
        return find_session(session, token)


def ui_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every staff page needs a signed-in user; edit pages (opt `role`) need an editor."""
    if handler.opt.get("signin"):
        return
    found = signed_in(connection)
    if found is None:
        # After signing in, a GET can be repeated; a POST's form is gone, so go to the start.
        raise SignInNeeded(_target(connection) if connection.scope.get("method") == "GET" else "")
    web_session, user = found
    connection.state.user = user
    connection.state.web_session = web_session
    if user.must_change_password and not handler.opt.get("account"):
        target = _target(connection) if connection.scope.get("method") == "GET" else ""
        raise PasswordChangeNeeded(target)
    if needed := handler.opt.get("role"):
        require_role(user, needed)


def posted(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, str | None]:
    """A posted form's fields, after checking its token; blank fields become None."""
    if not same_token(data.get(FORM_TOKEN), request.state.web_session.csrf_token):
        raise Forbidden(
            FORM_TOKEN, "this form was not sent from a page of this session; reload and try again"
        )
    last = {name: value[-1] if isinstance(value, list) else value for name, value in data.items()}
    return {name: str(value).strip() or None for name, value in last.items() if name != FORM_TOKEN}


def same_token(sent: Any, expected: str) -> bool:
    """Whether a posted token is the expected one (compared in constant time, any text)."""
    return bool(expected) and secrets.compare_digest(str(sent or "").encode(), expected.encode())


def _loopback(address: Any) -> bool:
    """Whether an ASGI (host, port) pair is an address of this machine's loopback interface."""
    try:
        ip = ipaddress.ip_address(str(address[0]))
    except (TypeError, IndexError, ValueError):
        return False  # none, a Unix socket or a name: not known to be this machine
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def _secure(request: Request[Any, Any, Any]) -> bool:
    """Cookies are Secure (HTTPS only) unless the setting says otherwise or, by default, when a
    browser on this machine talks to the server on this machine over plain HTTP (`make run`),
    where there is no TLS to require. Decided from the connection itself (the ASGI scope's
    client, server and scheme; a proxy's X-Forwarded-Proto only when the server trusts that
    proxy), never from the Host header, which any client writes."""
    setting: bool | None = request.app.state.settings.secure_cookie
    if setting is not None:
        return setting
    scope = request.scope
    local = _loopback(scope.get("client")) and _loopback(scope.get("server"))
    return not (local and scope.get("scheme") == "http")


def _cookie(request: Request[Any, Any, Any], key: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=key, value=value, max_age=max_age, path="/ui", httponly=True, samesite="lax",
        secure=_secure(request),
    )  # fmt: skip


@get("/signin", sync_to_thread=False, opt={"signin": True}, name="ui-signin")
def signin_form(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Response[str]:
    """The sign-in form."""
    return _signin_page(request, next, {}, {}, 200)


def _signin_page(
    request: Request[Any, Any, Any],
    next: str | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response[str]:
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
    response = page(
        request, "signin.html", status=status, next=safe_next(next), values=values,
        errors=errors, signin_token=token,
    )  # fmt: skip
    response.cookies.append(_cookie(request, SIGNIN_COOKIE, token, 3600))
    return response


@post("/signin", opt={"signin": True}, status_code=303)
async def signin(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[Any]:
    """Check the password; on success open a session and go where the user was heading.

    Async, so that the slow password check (argon2) runs in a worker thread while the loop serves
    other requests. The reads before it use a short session of their own, closed before the wait:
    a waiting sign-in holds no pooled connection, and the thread never touches the database.
    """
    next_ = safe_next(data.get("next"))
    username = str(data.get("username") or "").strip()
    if _no_user_has(username):
        errors = {"password": "unknown user or wrong password"}
        return _signin_page(request, next_, {"username": ""}, errors, 422)
    if not same_token(data.get(FORM_TOKEN), request.cookies.get(SIGNIN_COOKIE, "")):
        errors = {"form": "the sign-in form expired; please try again"}
        return _signin_page(request, next_, {"username": username}, errors, 403)
    throttle: SignInThrottle = request.app.state.signin_throttle
    address = request.client.host if request.client else ""
    with Session(request.app.state.engine) as reading:
        wait = throttle.wait(reading, username, address)
        user, stored_hash = password_to_check(reading, username)
    if wait:
        errors = {"password": f"too many failed sign-ins; {try_again_in(wait)}"}
        return _signin_page(request, next_, {"username": username}, errors, 429)
    password = str(data.get("password") or "")
    try:
        user = await anyio.to_thread.run_sync(
            check_password, user, stored_hash, password, limiter=throttle.password_checks
        )
    except Unauthorized:
        # Committed with the request's transaction: the handler returns this page, not raises.
        throttle.failed(session, username, address)
        errors = {"password": "unknown user or wrong password"}
        return _signin_page(request, next_, {"username": username}, errors, 422)
    throttle.succeeded(session, username, address)
    note_sign_in(session, user)
    token = open_session(session, user)
    if user.must_change_password:  # a reset password: replaced before anything else
        next_ = f"/ui/account/password?next={quote(next_, safe='/')}"
    response: Response[Any] = Redirect(next_, status_code=303)
    response.cookies.append(_cookie(request, SESSION_COOKIE, token, SESSION_HOURS * 3600))
    response.cookies.append(_cookie(request, SIGNIN_COOKIE, "", 0))
    return response


def _no_user_has(username: str) -> bool:
    """Whether no user can have this name: too long for the column, or holding NUL. Checked
    before the name goes anywhere else (the throttle, the database, the page)."""
    return len(username) > MAX_USERNAME_LENGTH or "\x00" in username


@post("/signout", sync_to_thread=False, status_code=303, opt={"account": True})
def signout(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[Any]:
    """End the session; the cookie stops working at once."""
    posted(request, data)
    close_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response: Response[Any] = Redirect("/ui/signin", status_code=303)
    response.cookies.append(_cookie(request, SESSION_COOKIE, "", 0))
    return response


def to_password_change(
    request: Request[Any, Any, Any], error: PasswordChangeNeeded
) -> Response[Any]:
    """Exception handler: send the browser to change its reset password, and on afterwards."""
    where = "/ui/account/password" + (
        f"?next={quote(error.target, safe='/')}" if error.target else ""
    )
    return Redirect(where, status_code=303)


def to_signin(request: Request[Any, Any, Any], error: SignInNeeded) -> Response[Any]:
    """Exception handler: send the browser to sign in, and back afterwards."""
    where = f"/ui/signin?next={quote(error.target, safe='/')}" if error.target else "/ui/signin"
    return Redirect(where, status_code=303)
