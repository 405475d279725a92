"""Staff pages for change requests: the queue, one request with its diff, and the buttons that
act on it (approve, reject with a reason, withdraw, rebase, submit); admins set whether a
programme needs review."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlmodel import Session, col, select

from api.deps import ADMIN, EDITOR
from api.ui.auth import Form, posted
from api.ui.pages import PER_PAGE, PageNumber, _offset
from api.ui.render import errors_by_field, page
from registry import change_requests as cr
from registry.choices import RequestStatus
from registry.commands import KINDS
from registry.errors import NotFound, RegistryError
from registry.programmes import Programme, get_programme

QUEUE = "/ui/requests"


@get("/requests", sync_to_thread=False)
def queue(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    status: FromQuery[str | None] = RequestStatus.SUBMITTED.value,
    programme: FromQuery[str | None] = None,
    author: FromQuery[str | None] = None,
    number: PageNumber = 1,
) -> Response[str]:
    """Change requests, newest first: those waiting for review unless another state is asked
    for (`status=` blank: all); filter by programme and author."""
    rows, total = cr.requests_page(
        session, status=status or None, programme=programme or None, author=author or None,
        limit=PER_PAGE, offset=_offset(number),
    )  # fmt: skip
    return page(
        request, "requests.html", rows=rows, found=_Found(total), number=number,
        per_page=PER_PAGE, statuses=[s.value for s in RequestStatus],
        programmes=[(p.slug, p.name) for p in session.exec(_PROGRAMMES)],
        filters={"status": status or "", "programme": programme or "", "author": author or ""},
    )  # fmt: skip


class _Found:
    """What the pager reads: the number of rows."""

    def __init__(self, total: int) -> None:
        self.total = total


_PROGRAMMES = select(Programme).order_by(col(Programme.name))


def _show(
    request: Request[Any, Any, Any],
    session: Session,
    number: int,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response[str]:
    found = cr.get_request(session, number)
    programme = session.get(Programme, found.programme_id) if found.programme_id else None
    conflicts = cr.stale(session, found) if found.status in cr.OPEN else []
    return page(
        request, "request.html", status=status, change=found, programme=programme,
        diff=cr.diff(session, found), conflicts=conflicts, kinds=KINDS,
        errors=errors or {}, values=values or {}, change_set=cr.applied_in(session, found),
        proposed=request.query_params.get("proposed") == "1",
    )  # fmt: skip


@get("/requests/{number:int}", sync_to_thread=False)
def one(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> Response[str]:
    """A request: who proposed what, the diff (as proposed from, proposed, now; conflicts
    flagged), and what the person signed in may do with it."""
    return _show(request, session, number)


def _act(request: Request[Any, Any, Any], session: Session, number: int, data: dict[str, Any],
         action: str) -> Response[Any]:  # fmt: skip
    form = posted(request, data)
    user = request.state.user
    try:
        if action == "approve":
            cr.approve(session, number, reviewer=user.username, role=user.role)
        elif action == "reject":
            cr.reject(session, number, reviewer=user.username, role=user.role,
                      reason=form.get("reason"))  # fmt: skip
        elif action == "withdraw":
            cr.withdraw(session, number, actor=user.username)
        elif action == "rebase":
            cr.rebase(session, number, actor=user.username)
        else:
            cr.submit(session, number, actor=user.username)
    except RegistryError as error:
        session.rollback()  # nothing of the refused action is kept
        return _show(request, session, number, status=error.status,
                     errors=errors_by_field(error), values=form)  # fmt: skip
    return Redirect(f"{QUEUE}/{number}", status_code=303)


@post("/requests/{number:int}/{action:str}", sync_to_thread=False, opt=EDITOR)
def act(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    number: FromPath[int],
    action: FromPath[str],
    data: Form,
) -> Response[Any]:
    """approve, reject (with `reason`), withdraw, rebase or submit."""
    if action not in ("approve", "reject", "withdraw", "rebase", "submit"):
        raise NotFound("action", f"there is no action {action!r}")
    return _act(request, session, number, data, action)


@post("/programmes/{slug:str}/review", sync_to_thread=False, opt=ADMIN, status_code=303)
def review(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str],
    data: Form,
) -> Response[Any]:  # fmt: skip
    """Admins: whether editors' changes to the programme need review."""
    form = posted(request, data)
    get_programme(session, slug)
    cr.set_review(session, slug, form.get("review"), actor=request.state.user.username)
    return Redirect(f"/ui/programmes/{slug}", status_code=303)


HANDLERS = [queue, one, act, review]
