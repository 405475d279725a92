"""Staff pages for sources and citations: the list, one source and what cites it, and the forms
that add and edit sources and cite them for records (each calls the function the API calls)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlmodel import Session

from api.deps import EDITOR
from api.ui.auth import Form, posted
from api.ui.render import errors_by_field, page
from registry.audit import Change, recorded
from registry.checks import MAX_INT
from registry.choices import Confidence
from registry.errors import InvalidValue, RegistryError, StaleVersion
from registry.sources import (
    CITABLE,
    CITATION_FIELDS,
    SOURCE_FIELDS,
    add_source,
    citable_records,
    cite,
    citing,
    get_citation,
    get_source,
    list_sources,
    record_name,
    remove_citation,
    update_citation,
    update_source,
)

Values = dict[str, Any]
KINDS = [(kind, kind.replace("_", " ")) for kind in CITABLE]


def _user(request: Request[Any, Any, Any]) -> str:
    return str(request.state.user.username)


def _page_of(key: str) -> str:
    return f"/ui/sources/{quote(key)}"


def _write(
    request: Request[Any, Any, Any],
    session: Session,
    data: dict[str, Any],
    write: Callable[[Values], str],
    show: Callable[[Values, dict[str, str], int], Response[str]],
) -> Response[Any]:
    """Run one registry write with the posted form; back to the source page when it is kept,
    the form again with each message beside its field when it is refused (nothing kept)."""
    form = posted(request, data)
    recorded(session).clear()
    try:
        key = write(form)
    except RegistryError as error:
        session.rollback()
        # A version sent in a form is no HTTP precondition (If-Match): a stale one is a conflict.
        status = 409 if isinstance(error, StaleVersion) else error.status
        return show(form, errors_by_field(error), status)
    session.flush()
    changes = recorded(session)
    saved = changes[-1].id or 0 if changes else 0
    return Redirect(f"{_page_of(key)}?saved={saved}", status_code=303)


def _source_values(form: Values) -> Values:
    """A source's fields from its form: a general compilation when its box is ticked."""
    return {name: form.get(name) for name in SOURCE_FIELDS} | {"general": bool(form.get("general"))}


def _version(form: Values) -> int:
    text = form.get("version") or ""
    if not (text.isascii() and text.isdigit()):
        raise InvalidValue("version", "the form lost the record's version; reload the page")
    return int(text)


# ---- Reading -------------------------------------------------------------------------------


@get("/sources", sync_to_thread=False)
def sources(request: Request[Any, Any, Any], session: NamedDependency[Session]) -> Response[str]:
    """Every source by key, with how many records cite it."""
    return page(request, "sources.html", sources=list_sources(session))


def _saved(session: Session, saved: int | None, key: str) -> Change | None:
    """The change a form just made, to confirm it (only one about this source)."""
    if not saved or not 0 < saved <= MAX_INT:
        return None
    change = session.get(Change, saved)
    if change is None or change.entity not in ("source", "citation"):
        return None
    return change if change.key == key or change.key.endswith(f"/{key}") else None


@get("/sources/{key:str}", sync_to_thread=False)
def source(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    saved: FromQuery[int | None] = None,
) -> Response[str]:
    """The source, the records citing it with their confidence; editors change or remove each."""
    found = get_source(session, key)
    return page(
        request, "source.html", source=found, cited=citing(session, found),
        saved=_saved(session, saved, key), nothing_saved=saved == 0,
    )  # fmt: skip


# ---- Sources -------------------------------------------------------------------------------
# A post reads nothing before its write: the write lock comes before a transaction's first read
# (registry.audit.begin_write). The form shown again reads what it needs after the rollback.

Show = Callable[[Values, dict[str, str], int], Response[str]]


def _source_form(request: Request[Any, Any, Any], session: Session, key: str | None) -> Show:
    def show(values: Values, errors: dict[str, str], status: int) -> Response[str]:
        editing = get_source(session, key) if key is not None else None
        return page(request, "source_form.html", status=status, values=values, errors=errors,
                    editing=editing)  # fmt: skip

    return show


@get("/sources/new", sync_to_thread=False, opt=EDITOR)
def source_new(request: Request[Any, Any, Any], session: NamedDependency[Session]) -> Response[str]:
    """Register a source: key, title, publisher, address, date published, excerpt, and whether
    it is a general compilation."""
    return _source_form(request, session, None)({}, {}, 200)


@post("/sources/new", sync_to_thread=False, opt=EDITOR)
def source_add(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Response[Any]:
    def write(form: Values) -> str:
        made = add_source(
            session, key=form.get("key") or "", actor=_user(request), **_source_values(form)
        )
        return made.key

    return _write(request, session, data, write, _source_form(request, session, None))


@get("/sources/{key:str}/edit", sync_to_thread=False, opt=EDITOR)
def source_edit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], key: FromPath[str]
) -> Response[str]:
    """Change a source's title, publisher, address, date, excerpt or whether it is a general
    compilation; its key stays."""
    found = get_source(session, key)
    values = {name: getattr(found, name) for name in SOURCE_FIELDS}
    values |= {"published": found.published_on.isoformat() if found.published_on else None,
               "version": str(found.version)}  # fmt: skip
    return _source_form(request, session, key)(values, {}, 200)


@post("/sources/{key:str}/edit", sync_to_thread=False, opt=EDITOR)
def source_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> str:
        update_source(
            session, key=key, actor=_user(request), expected_version=_version(form),
            **_source_values(form),
        )  # fmt: skip
        return key

    return _write(request, session, data, write, _source_form(request, session, key))


# ---- Citations -----------------------------------------------------------------------------

CONFIDENCES = [(c.value, c.value) for c in Confidence]


def _cite_form(request: Request[Any, Any, Any], session: Session, key: str) -> Show:
    def show(values: Values, errors: dict[str, str], status: int) -> Response[str]:
        if "source" in errors:  # the source is this page's; the record is what to choose again
            errors = {"entity_id": errors.pop("source"), **errors}
        records = citable_records(session, values.get("entity") or "")
        return page(
            request, "citation_new.html", status=status, source=get_source(session, key),
            values=values, errors=errors, kinds=KINDS, confidences=CONFIDENCES,
            records=[(str(record_id), name) for record_id, name in records],
        )  # fmt: skip

    return show


@get("/sources/{key:str}/cite", sync_to_thread=False, opt=EDITOR)
def cite_form(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    entity: FromQuery[str | None] = None,
) -> Response[str]:
    """Cite this source for a record: first the kind of record, then the record (programmes,
    organisations and nations by name, others by id), the confidence, a note and the words of
    the excerpt that support the fact."""
    values = {"entity": entity if entity in CITABLE else None, "confidence": Confidence.HIGH.value}
    return _cite_form(request, session, key)(values, {}, 200)


@post("/sources/{key:str}/cite", sync_to_thread=False, opt=EDITOR)
def cite_add(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> str:
        cite(
            session, source=key, entity=form.get("entity") or "",
            entity_id=form.get("entity_id") or "", confidence=form.get("confidence") or "",
            note=form.get("note"), quote=form.get("quote"), actor=_user(request),
        )  # fmt: skip
        return key

    return _write(request, session, data, write, _cite_form(request, session, key))


def _citation_form(
    request: Request[Any, Any, Any], session: Session, key: str, citation_id: int
) -> Show:
    def show(values: Values, errors: dict[str, str], status: int) -> Response[str]:
        citation, cited = get_citation(session, citation_id, source=key)
        return page(
            request, "citation_edit.html", status=status, source=cited, citation=citation,
            record=record_name(session, citation.entity, citation.entity_id), values=values,
            errors=errors, confidences=CONFIDENCES,
        )  # fmt: skip

    return show


@get("/sources/{key:str}/citations/{citation_id:int}/edit", sync_to_thread=False, opt=EDITOR)
def citation_edit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    citation_id: FromPath[int],
) -> Response[str]:
    """Change how sure this source makes us of the record, the note or the quote."""
    citation, _ = get_citation(session, citation_id, source=key)
    values = {name: getattr(citation, name) for name in CITATION_FIELDS}
    return _citation_form(request, session, key, citation_id)(values, {}, 200)


@post("/sources/{key:str}/citations/{citation_id:int}/edit", sync_to_thread=False, opt=EDITOR)
def citation_change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    citation_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    def write(form: Values) -> str:
        update_citation(
            session, citation_id=citation_id, source=key, actor=_user(request),
            confidence=form.get("confidence") or "", note=form.get("note"),
            quote=form.get("quote"),
        )  # fmt: skip
        return key

    return _write(request, session, data, write, _citation_form(request, session, key, citation_id))


@post("/sources/{key:str}/citations/{citation_id:int}/remove", sync_to_thread=False, opt=EDITOR)
def citation_remove(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    key: FromPath[str],
    citation_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    """Take the citation away (the record and the source stay; the change log keeps it). A
    refusal (no such citation of this source) is the error page: there is no form to show."""
    posted(request, data)
    recorded(session).clear()
    remove_citation(session, citation_id=citation_id, source=key, actor=_user(request))
    session.flush()
    return Redirect(f"{_page_of(key)}?saved={recorded(session)[-1].id}", status_code=303)


HANDLERS = [
    sources, source_new, source_add, source, source_edit, source_change,
    cite_form, cite_add, citation_edit, citation_change, citation_remove,
]  # fmt: skip
