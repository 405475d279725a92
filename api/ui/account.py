"""A person's own account: their tokens, and changing their password (required after a reset)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import in_worker
from api.ui.auth import Form, posted, safe_next
from api.ui.render import errors_by_field, page
from registry.accounts import (
    change_password,
    create_token_as,
    revoke_token_as,
    token_state,
    tokens_seen_by,
)
from registry.errors import InvalidValue, RegistryError, Unauthorized
from registry.users import MAX_TOKEN_DAYS, TOKEN_DAYS

PASSWORD_PAGE = "/ui/account/password"
ACCOUNT = {"account": True}
"""Pages a user whose password was reset may still open (this one, signing out)."""


def _form(
    request: Request[Any, Any, Any], next_: str, errors: dict[str, str], status: int
) -> Response[str]:
    return page(request, "account_password.html", status=status, next=next_, errors=errors)


@get("/account/password", sync_to_thread=False, opt=ACCOUNT)
def password_form(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Response[str]:
    """The form: current password, new password twice."""
    return _form(request, safe_next(next), {}, 200)


@post("/account/password", opt=ACCOUNT, status_code=303)
async def password_change(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    """Check the current password and store the new one. Async: the two argon2 steps run in a
    worker thread, with a transaction of their own, while the loop serves other requests."""
    fields = posted(request, data)
    next_ = safe_next(fields.get("next"))
    old, new = fields.get("old_password") or "", fields.get("new_password") or ""
    if new != (fields.get("repeat") or ""):
        return _form(request, next_, {"repeat": "does not match the new password"}, 422)
    username = request.state.user.username
    try:
        await in_worker(
            request, lambda session: change_password(session, username=username, old=old, new=new)
        )
    except Unauthorized:
        errors = {"old_password": "is not your current password"}
        return _form(request, next_, errors, 422)
    except InvalidValue as refused:
        errors = {e.field: e.message for e in refused.errors}
        return _form(request, next_, errors, 422)
    return Redirect(next_, status_code=303)


ACCOUNT_PAGE = "/ui/account"


def _account(
    request: Request[Any, Any, Any],
    session: Session,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    secret: str | None = None,
) -> Response[str]:
    me = request.state.user
    tokens = [(t, token_state(t, owner)) for t, owner in tokens_seen_by(session, me, me.username)]
    return page(
        request, "account.html", status=status, tokens=tokens, secret=secret,
        values=values or {"expires": str(TOKEN_DAYS)}, errors=errors or {},
        max_days=MAX_TOKEN_DAYS,
    )  # fmt: skip


@get("/account", sync_to_thread=False)
def account(request: Request[Any, Any, Any], session: NamedDependency[Session]) -> Response[str]:
    """Who you are, your API tokens (hint, created, last used, expiry, state); make one, revoke
    one; change your password."""
    return _account(request, session)


@post("/account/tokens", sync_to_thread=False)
def token_add(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[str]:
    """A new token for yourself, shown once on the answer page."""
    form = posted(request, data)
    days = form.get("expires") or str(TOKEN_DAYS)
    try:
        if not (days.isascii() and days.isdigit() and len(days) <= 6):
            raise InvalidValue("expires", f"{days!r} is not a whole number of days")
        _, secret = create_token_as(session, request.state.user, days=int(days))
    except RegistryError as error:
        session.rollback()  # nothing of the refused write is kept
        return _account(request, session, status=error.status, values=form,
                        errors=errors_by_field(error))  # fmt: skip
    return _account(request, session, status=201, secret=secret)


@post("/account/tokens/{token_id:int}/revoke", sync_to_thread=False, status_code=303)
def token_revoke(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    token_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """Stop one of your tokens working at once."""
    posted(request, data)
    revoke_token_as(session, request.state.user, token_id)
    return Redirect(ACCOUNT_PAGE, status_code=303)


HANDLERS = [password_form, password_change, account, token_add, token_revoke]
