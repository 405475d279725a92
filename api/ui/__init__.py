"""Staff web pages at /ui: server-rendered forms over the registry's own rule functions."""

from __future__ import annotations

from http import HTTPStatus
from os import PathLike
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import HTTPException
from litestar.static_files import create_static_files_router

import reports
from api import problems
from api.ui import (
    account,
    admin,
    auth,
    corrections,
    forms,
    organisations,
    pages,
    programme_forms,
    requests,
    sources,
)
from api.ui.render import page
from registry.errors import FieldError, RegistryError

STATIC: list[str | PathLike[str] | Path] = [
    Path(__file__).parent.parent / "static",
    Path(reports.__file__).parent / "static",
]
WEB = {"web": True}
"""Marks the staff pages, which the API's bearer-token guard leaves to `auth.ui_guard`."""


def _problem(request: Request[Any, Any, Any], error: RegistryError) -> Response[str]:
    return page(request, "error.html", status=error.status, title=error.title, errors=error.errors)


def _http_problem(request: Request[Any, Any, Any], error: HTTPException) -> Response[str]:
    """Litestar's own refusals on a staff page (a malformed parameter, a page that does not exist,
    a method a page does not take) in the staff layout."""
    status, path = error.status_code, request.url.path
    if status == 404:
        title, message = "Page not found", FieldError("path", f"there is no page at {path}")
    else:
        title, message = HTTPStatus(status).phrase.capitalize(), FieldError("request", error.detail)
    response = page(request, "error.html", status=status, title=title, errors=[message])
    response.headers.update(error.headers or {})  # a 405 names the methods it takes in `Allow`
    return response


def is_staff_path(path: str) -> bool:
    """Whether a path is one of the staff pages' (errors there are pages, not problem JSON)."""
    return path == "/ui" or path.startswith("/ui/")


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """The application's handler for Litestar's errors raised before any route (an unknown path,
    a method no route takes): under /ui an HTML page in the staff layout, with the navigation
    when the visitor is signed in; everywhere else problem JSON."""
    if not is_staff_path(request.url.path):
        return problems.http_error(request, error)
    found = auth.signed_in(request)
    if found is not None:
        request.state.web_session, request.state.user = found
    return _http_problem(request, error)


FAVICON = (Path(__file__).parent.parent / "static" / "favicon.svg").read_bytes()


@get("/favicon.ico", sync_to_thread=False, opt={"public": True}, include_in_schema=False)
def favicon() -> Response[bytes]:
    """The staff pages' icon where browsers look for one unasked (the pages link the SVG)."""
    return Response(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


router = Router(
    "/ui",
    route_handlers=[
        auth.signin_form,
        auth.signin,
        auth.signout,
        *account.HANDLERS,
        pages.home,
        pages.programmes,
        pages.programme,
        pages.nations,
        pages.nation,
        pages.changes,
        pages.programme_report,
        pages.nation_report,
        pages.membership_report,
        pages.contracts_report,
        forms.member_new,
        forms.member_add,
        forms.member_edit,
        forms.member_change,
        forms.member_leave_form,
        forms.member_leave,
        forms.contract_new,
        forms.contract_add,
        forms.fleet_new,
        forms.fleet_add,
        corrections.fleet_edit,
        corrections.fleet_correct,
        corrections.contract_amend_form,
        corrections.contract_amend,
        corrections.contract_void_form,
        corrections.contract_void,
        *organisations.HANDLERS,
        *programme_forms.HANDLERS,
        *sources.HANDLERS,
        *admin.HANDLERS,
        *requests.HANDLERS,
    ],
    guards=[auth.ui_guard],
    exception_handlers={
        auth.SignInNeeded: auth.to_signin,
        auth.PasswordChangeNeeded: auth.to_password_change,
        RegistryError: _problem,
        HTTPException: _http_problem,
    },
    opt=WEB,
    include_in_schema=False,
)
static = create_static_files_router(
    "/ui/static", directories=STATIC, opt=WEB, include_in_schema=False, send_as_attachment=False
)
