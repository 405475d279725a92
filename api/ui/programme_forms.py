"""Staff pages for programmes: creating one and editing it, through the registry functions the
API calls (`create_programme`, `update_programme`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form, posted
from api.ui.forms import _made as made_change
from api.ui.forms import _version as form_version
from api.ui.render import errors_by_field, options, page
from registry.audit import recorded
from registry.choices import Category, ProgrammeStatus
from registry.errors import InvalidValue, NotFound, RegistryError, StaleVersion
from registry.organisations import list_organisations
from registry.programmes import EDITABLE, Programme, create_programme, update_programme
from registry.views import programme_view

Values = dict[str, str | None]
DATED = ("status", "managing_organisation")
"""The fields that change from a date (their terms); the others are corrections of the record."""


def _show(
    request: Request[Any, Any, Any],
    session: Session,
    values: Values,
    errors: dict[str, str],
    status: int,
    slug: str | None = None,
) -> Response[str]:
    """The programme form: new (no `slug`) or an edit of programme `slug`."""
    return page(
        request, "programme_form.html", status=status, values=values, errors=errors,
        editing=slug, categories=options(Category), statuses=options(ProgrammeStatus),
        organisations=[(o.slug, o.name) for o in list_organisations(session)],
        fields=EDITABLE, dated=DATED,
    )  # fmt: skip


def _submit(
    request: Request[Any, Any, Any],
    session: Session,
    data: dict[str, Any],
    write: Callable[[Values], Programme],
    show: Callable[[Values, dict[str, str], int], Response[str]],
) -> Response[Any]:
    """Run the write with the posted values; show the form again if it is refused, else go to
    the programme, which confirms the change."""
    # Browsers send a text area's line breaks as CRLF: kept as LF, the description an editor
    # left alone still equals the one shown, and is not recorded as changed.
    form = {name: value.replace("\r\n", "\n") if value else value
            for name, value in posted(request, data).items()}  # fmt: skip
    recorded(session).clear()
    try:
        programme = write(form)
        saved = made_change(session)
    except NotFound:
        raise  # the address names no programme: the error page, not the form
    except RegistryError as error:
        session.rollback()  # whatever the refused call did is dropped before anything commits
        # A version sent in a form is no HTTP precondition (If-Match): a stale one is a conflict.
        status = 409 if isinstance(error, StaleVersion) else error.status
        return show(form, errors_by_field(error), status)
    return Redirect(f"/ui/programmes/{quote(programme.slug)}?saved={saved}", status_code=303)


@get("/programmes/new", sync_to_thread=False, opt=EDITOR)
def programme_new(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[str]:
    """A new programme: every field `create_programme` takes."""
    return _show(request, session, {"status": ProgrammeStatus.ACTIVE.value}, {}, 200)


@post("/programmes/new", sync_to_thread=False, opt=EDITOR)
def programme_add(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[Any]:
    def write(form: Values) -> Programme:
        # A blank field is one not given: the rule names a required one, the others stay empty.
        fields = {name: form[name] for name in EDITABLE if form.get(name) is not None}
        return create_programme(session, actor=request.state.user.username, **fields)

    def show(values: Values, errors: dict[str, str], status: int) -> Response[str]:
        return _show(request, session, values, errors, status)

    return _submit(request, session, data, write, show)


@get("/programmes/{slug:str}/edit", sync_to_thread=False, opt=EDITOR)
def programme_edit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> Response[str]:
    """Change a programme: its description, or its status and managing agency from a date."""
    view = programme_view(session, slug, date.today())
    shown: Values = {
        name: view.launched.isoformat() if name == "launched" and view.launched
        else getattr(view, name)
        for name in EDITABLE
    }  # fmt: skip
    # The values as shown go back too, so only what the person changed is written: a status
    # left as it was must not overwrite a change recorded from a later date.
    was = {f"was_{name}": value for name, value in shown.items()}
    values = {**shown, **was, "version": str(view.version), "kind": "change"}
    return _show(request, session, values, {}, 200, slug)


@post("/programmes/{slug:str}/edit", sync_to_thread=False, opt=EDITOR)
def programme_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> Programme:
        changes = {name: form.get(name) for name in EDITABLE
                   if form.get(name) != form.get(f"was_{name}")}  # fmt: skip
        kind = form.get("kind") or "change"
        if kind not in ("change", "correction"):
            raise InvalidValue("kind", "choose a change or a correction")
        return update_programme(
            session, slug, changes=changes, actor=request.state.user.username,
            expected_version=form_version(form), effective=form.get("effective") or None,
            correction=kind == "correction",
        )  # fmt: skip

    def show(values: Values, errors: dict[str, str], status: int) -> Response[str]:
        return _show(request, session, values, errors, status, slug)

    return _submit(request, session, data, write, show)


HANDLERS = [programme_new, programme_add, programme_edit, programme_change]
