"""A person's own account: changing their password (required after a reset)."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from api.ui.auth import Form, posted, safe_next
from api.ui.render import page
from registry.accounts import change_password
from registry.database import unit_of_work
from registry.errors import InvalidValue, Unauthorized

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
    username, engine = request.state.user.username, request.app.state.engine

    def change() -> None:
        with unit_of_work(engine) as session:
            change_password(session, username=username, old=old, new=new)

    try:
        await anyio.to_thread.run_sync(change)
    except Unauthorized:
        errors = {"old_password": "is not your current password"}
        return _form(request, next_, errors, 422)
    except InvalidValue as refused:
        errors = {e.field: e.message for e in refused.errors}
        return _form(request, next_, errors, 422)
    return Redirect(next_, status_code=303)
