"""Staff pages for admins: users, their roles and state, password resets; the security log.

Adding a user and resetting a password hash a password: those handlers are async and run the
write in a worker thread with a transaction of its own. The one-time password is shown on the
answer page once (never put in a link or a redirect)."""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import ADMIN, in_worker
from api.ui.auth import Form, posted
from api.ui.pages import PER_PAGE, PageNumber, _offset
from api.ui.render import errors_by_field, page
from registry.accounts import (
    add_account,
    list_users,
    reset_password,
    security_log,
    set_active,
    set_role,
)
from registry.choices import UserRole
from registry.database import unit_of_work
from registry.errors import RegistryError

USERS = "/ui/admin/users"
RECENT = 10
"""Account changes shown under the users (the security log page has them all)."""
T = TypeVar("T")


def _users_page(
    request: Request[Any, Any, Any],
    session: Session,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    issued: tuple[str, str] | None = None,
    refused: list[str] | None = None,
) -> Response[str]:
    return page(
        request, "admin_users.html", status=status, users=list_users(session),
        roles=[r.value for r in UserRole], values=values or {"role": UserRole.VIEWER.value},
        errors=errors or {}, issued=issued, refused=refused or [],
        found=security_log(session, limit=RECENT), recent=RECENT,
    )  # fmt: skip


def _again(request: Request[Any, Any, Any], **shown: Any) -> Response[str]:
    """The users page after a write made in another transaction (read afresh)."""
    with unit_of_work(request.app.state.engine) as session:
        return _users_page(request, session, **shown)


@get("/admin/users", sync_to_thread=False, opt=ADMIN)
def users(request: Request[Any, Any, Any], session: NamedDependency[Session]) -> Response[str]:
    """Every user with role, state and last sign-in; add, change a role, disable or enable,
    reset a password; the latest account changes."""
    return _users_page(request, session)


@post("/admin/users", opt=ADMIN)
async def user_add(request: Request[Any, Any, Any], data: Form) -> Response[str]:
    form = posted(request, data)
    actor = request.state.user.username

    def write(session: Session) -> str:
        _, password = add_account(session, username=form.get("username") or "",
                                  role=form.get("role") or "", actor=actor)  # fmt: skip
        return password

    try:
        password = await in_worker(request, write)
    except RegistryError as error:
        return _again(request, status=error.status, values=form, errors=errors_by_field(error))
    return _again(request, issued=(str(form["username"]), password))


@post("/admin/users/{username:str}/reset", opt=ADMIN)
async def user_reset(
    request: Request[Any, Any, Any], username: FromPath[str], data: Form
) -> Response[str]:
    posted(request, data)
    actor = request.state.user.username
    password = await in_worker(
        request, lambda session: reset_password(session, username=username, actor=actor)
    )
    return _again(request, issued=(username, password))


@post("/admin/users/{username:str}", sync_to_thread=False, opt=ADMIN, status_code=303)
def user_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    username: FromPath[str],
    data: Form,
) -> Response[Any]:
    """A new role (`role`), or disabling or enabling (`active`: yes / no)."""
    form = posted(request, data)
    actor = request.state.user.username
    try:
        if role := form.get("role"):
            set_role(session, username=username, role=role, actor=actor)
        if form.get("active") in ("yes", "no"):
            set_active(session, username=username, active=form["active"] == "yes", actor=actor)
    except RegistryError as error:
        session.rollback()  # nothing of the refused write is kept
        refused = [f"{username}: {e.field}: {e.message}" for e in error.errors]
        return _users_page(request, session, status=error.status, refused=refused)
    return Redirect(USERS, status_code=303)


@get("/admin/security", sync_to_thread=False, opt=ADMIN)
def security(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: PageNumber = 1
) -> Response[str]:
    """Every change to users and tokens, newest first."""
    found = security_log(session, limit=PER_PAGE, offset=_offset(number))
    return page(request, "admin_security.html", found=found, number=number, per_page=PER_PAGE,
                filters={})  # fmt: skip


HANDLERS = [users, user_add, user_reset, user_change, security]
