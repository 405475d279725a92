"""Staff pages for organisations: the list, a new agency or contractor (linked from the contract
form), and an edit of one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form, posted, safe_next
from api.ui.forms import _version as form_version
from api.ui.render import errors_by_field, page
from registry.audit import Change, recorded
from registry.checks import MAX_INT
from registry.choices import OrganisationKind, label
from registry.errors import RegistryError, StaleVersion
from registry.nations import list_nations
from registry.organisations import (
    create_organisation,
    get_organisation,
    list_organisations,
    update_organisation,
)

Values = dict[str, Any]


def _choices(session: Session) -> dict[str, Any]:
    """What the organisation forms offer: the kinds and the registry's nations."""
    return {
        "kinds": [(k.value, label(k.value)) for k in OrganisationKind],
        "nations": [(n.code, n.name) for n in list_nations(session)],
    }


def _show(
    request: Request[Any, Any, Any],
    session: Session,
    values: Values,
    errors: dict[str, str],
    status: int,
) -> Response[str]:
    return page(
        request, "organisation_new.html", status=status, values=values, errors=errors,
        **_choices(session),
    )  # fmt: skip


@get("/organisations", sync_to_thread=False)
def organisations(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    kind: FromQuery[str | None] = None,
    saved: FromQuery[int | None] = None,
) -> Response[str]:
    """Every agency, contractor and governing body, by name; editors change them from here."""
    known = kind if kind in {k.value for k in OrganisationKind} else None
    nations = {n.code: n.name for n in list_nations(session)}
    return page(
        request, "organisations.html", organisations=list_organisations(session, kind=known),
        kind=known or "", kinds=[(k.value, label(k.value)) for k in OrganisationKind],
        nations=nations, saved=_saved(session, saved),
    )  # fmt: skip


def _saved(session: Session, saved: int | None) -> Change | None:
    """The organisation change an edit just made, to confirm it."""
    if not saved or not 0 < saved <= MAX_INT:
        return None
    change = session.get(Change, saved)
    return change if change is not None and change.entity == "organisation" else None


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


def _show_edit(
    request: Request[Any, Any, Any],
    session: Session,
    slug: str,
    values: Values,
    errors: dict[str, str],
    status: int,
) -> Response[str]:
    return page(
        request, "organisation_edit.html", status=status, values=values, errors=errors,
        organisation=get_organisation(session, slug), **_choices(session),
    )  # fmt: skip


@get("/organisations/{slug:str}/edit", sync_to_thread=False, opt=EDITOR)
def organisation_edit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> Response[str]:
    """Change an organisation's name, kind or country; its slug stays."""
    found = get_organisation(session, slug)
    values = {"name": found.name, "kind": found.kind, "country": found.country,
              "version": str(found.version)}  # fmt: skip
    return _show_edit(request, session, slug, values, {}, 200)


@post("/organisations/{slug:str}/edit", sync_to_thread=False, opt=EDITOR)
def organisation_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    form = posted(request, data)
    recorded(session).clear()
    try:
        update_organisation(
            session, slug=slug, actor=request.state.user.username,
            expected_version=form_version(form), name=form.get("name") or "",
            kind=form.get("kind") or "", country=form.get("country"),
        )  # fmt: skip
        session.flush()
    except RegistryError as error:
        session.rollback()  # nothing of the refused write is kept
        # A version sent in a form is no HTTP precondition (If-Match): a stale one is a conflict.
        status = 409 if isinstance(error, StaleVersion) else error.status
        return _show_edit(request, session, slug, form, errors_by_field(error), status)
    changes = recorded(session)
    made = changes[-1].id or 0 if changes else 0
    return Redirect(f"/ui/organisations?saved={made}#{quote(slug)}", status_code=303)


HANDLERS = [
    organisations,
    organisation_new,
    organisation_add,
    organisation_edit,
    organisation_change,
]
