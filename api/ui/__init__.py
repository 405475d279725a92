"""Staff web pages at /ui: server-rendered forms over the registry's own rule functions."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.static_files import create_static_files_router

import reports
from api.ui import auth, corrections, forms, pages
from api.ui.render import page
from registry.errors import RegistryError

STATIC: list[str | PathLike[str] | Path] = [
    Path(__file__).parent.parent / "static",
    Path(reports.__file__).parent / "static",
]
WEB = {"web": True}
"""Marks the staff pages, which the API's bearer-token guard leaves to `auth.ui_guard`."""


def _problem(request: Request[Any, Any, Any], error: RegistryError) -> Response[str]:
    return page(request, "error.html", status=error.status, title=error.title, errors=error.errors)


def _http_problem(request: Request[Any, Any, Any], error: HTTPException) -> Response[str]:
    errors = [RegistryError("request", str(error.detail)).errors[0]]
    return page(request, "error.html", status=error.status_code, title="Bad request", errors=errors)


router = Router(
    "/ui",
    route_handlers=[
        auth.signin_form,
        auth.signin,
        auth.signout,
        pages.home,
        pages.programmes,
        pages.programme,
        pages.nation,
        pages.changes,
        pages.programme_report,
        pages.nation_report,
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
    ],
    guards=[auth.ui_guard],
    exception_handlers={
        auth.SignInNeeded: auth.to_signin,
        RegistryError: _problem,
        HTTPException: _http_problem,
    },
    opt=WEB,
    include_in_schema=False,
)
static = create_static_files_router(
    "/ui/static", directories=STATIC, opt=WEB, include_in_schema=False, send_as_attachment=False
)
