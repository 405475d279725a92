"""Staff pages for organisations: a new agency or contractor (linked from the contract form)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form, posted, safe_next
from api.ui.render import errors_by_field, page
from registry.choices import OrganisationKind, label
from registry.errors import RegistryError
from registry.nations import list_nations
from registry.organisations import create_organisation


def _show(
    request: Request[Any, Any, Any],
    session: Session,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response[str]:
    return page(
        request, "organisation_new.html", status=status, values=values, errors=errors,
        kinds=[(k.value, label(k.value)) for k in OrganisationKind],
        nations=[(n.code, n.name) for n in list_nations(session)],
    )  # fmt: skip


@get("/organisations/new", sync_to_thread=False, opt=EDITOR)
def organisation_new(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    next: FromQuery[str | None] = None,
) -> Response[str]:
    """A new agency, contractor or governing body; afterwards back to `next` (a staff page)."""
    values = {"kind": OrganisationKind.CONTRACTOR.value, "next": safe_next(next)}
    return _show(request, session, values, {}, 200)


@post("/organisations/new", sync_to_thread=False, opt=EDITOR)
def organisation_add(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[Any]:
    form = posted(request, data)
    form["next"] = safe_next(form.get("next"))
    try:
        create_organisation(
            session, slug=form.get("slug") or "", name=form.get("name") or "",
            kind=form.get("kind") or "", country=form.get("country"),
            actor=request.state.user.username,
        )  # fmt: skip
    except RegistryError as error:
        session.rollback()  # nothing of the refused write is kept
        return _show(request, session, form, errors_by_field(error), error.status)
    return Redirect(str(form["next"]), status_code=303)


HANDLERS = [organisation_new, organisation_add]
