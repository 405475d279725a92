"""Programmes: list, detail, create, change, delete."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlmodel import Session

from api import wire
from api.cache import answer, serve_cached
from api.deps import ADMIN, BEARER, EDITOR, actor, etag, expected_version
from api.docs import CONVERTING, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, documented
from api.exports import Format, export, wanted
from api.routes.change_requests import PROPOSING, proposed_instead
from api.routes.params import (
    AsKnownOn,
    AsOf,
    ConvertTo,
    FormatParam,
    Limit,
    Offset,
    ProgrammeSort,
    read_when,
)
from registry.choices import Category, ProgrammeStatus
from registry.conversion import converted_total, rate_currency
from registry.history import When
from registry.instruments import instruments_of
from registry.programmes import (
    create_programme,
    delete_programme,
    update_programme,
)
from registry.search import contracts_page, programmes_page
from registry.views import programme_view


def detail(
    session: Session, slug: str, when: When, convert_to: str | None = None
) -> tuple[wire.ProgrammeDetail, dict[str, str]]:
    view = programme_view(session, slug, when.as_of, when.known)
    instruments = instruments_of(session, slug, when.as_of, when.known)
    body = wire.programme_detail(view, when.as_of, instruments)
    if convert_to:
        target = rate_currency(session, convert_to)
        signed = contracts_page(session, programme=slug, on=when.as_of, recorded_by=when.known,
                                limit=None).items  # fmt: skip
        total = converted_total(session, [row[0] for row in signed], target, when.as_of)
        body.converted_total = wire.converted_total_out(total)
    return body, etag(view.version)


@get(
    "/",
    sync_to_thread=False,
    summary="List programmes",
    before_request=serve_cached,
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def list_programmes(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    q: FromQuery[str | None] = None,
    category: FromQuery[Category | None] = None,
    status: FromQuery[ProgrammeStatus | None] = None,
    nation: FromQuery[str | None] = None,
    agency: FromQuery[str | None] = None,
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    sort: ProgrammeSort = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.ProgrammeOut]:
    """Programmes by name; `nation` (alpha-3, alpha-2 or name) keeps its programmes on `as_of`."""
    kind = wanted(request, format)

    when = read_when(session, as_of, as_known_on)

    def build(paged: bool) -> tuple[wire.Page[wire.ProgrammeOut], dict[str, str]]:
        page = programmes_page(
            session, q=q, category=category, status=status, nation=nation, as_of=when.as_of,
            known=when.known,
            agency=agency, sort=sort, limit=limit if paged else None, offset=offset,
        )  # fmt: skip
        items = [wire.programme_out(p, a, status) for p, a, status in page.items]
        return wire.Page(items, page.total, limit, offset), {}

    if kind is not Format.JSON:
        every = build(paged=False)[0].items
        return export(every, wire.ProgrammeOut.__struct_fields__, kind, "programmes")  # type: ignore[return-value]
    return answer(request, lambda: build(paged=True))  # type: ignore[return-value]


@get(
    "/{slug:str}",
    sync_to_thread=False,
    summary="A programme with members, totals and fleet",
    before_request=serve_cached,
    responses=READ_ERRORS | CONVERTING,
)
def programme_detail(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    convert_to: ConvertTo = None,
) -> Response[wire.ProgrammeDetail]:
    """Members on `as_of` (default today), totals of the contracts signed by then per currency
    (`contracts_without_value`: how many of those have no published value), fleet size then,
    the instruments signed by then (or on a date unknown); all as the registry knew them on
    `as_known_on` (default now). With `convert_to`, also `converted_total`: those contracts in
    one currency, each converted at the ECB rate of its signing date, with every rate used (422
    on `currency` for a currency without a rate then)."""
    when = read_when(session, as_of, as_known_on)
    return answer(request, lambda: detail(session, slug, when, convert_to))  # type: ignore[return-value]


@post(
    "/",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="Create a programme",
    responses=WRITE_ERRORS,
    operation_class=documented(body=wire.ProgrammeIn),
)
def create(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: JSONBody[wire.ProgrammeIn],
) -> Response[wire.ProgrammeDetail]:
    """Editors and admins. The slug must be free (409)."""
    fields = wire.plain(data)
    programme = create_programme(session, actor=actor(request), **fields)
    body, headers = detail(session, programme.slug, When(date.today()))
    return Response(body, status_code=201, headers=headers)


@patch(
    "/{slug:str}",
    sync_to_thread=False,
    opt=EDITOR,
    security=BEARER,
    summary="Change a programme",
    responses=PROPOSING,
    operation_class=documented(body=wire.ProgrammePatch),
)
def change(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.ProgrammePatch],
) -> Response[wire.ProgrammeDetail]:
    """Only the fields given change. `status` and `managing_organisation` change from
    `effective` (default today; earlier dates keep theirs) or, with `"correction": true`, are
    fixed from `effective` or over the whole history; the other fields are corrections. Reads
    `as_known_on` before this write answer as before. Send `If-Match` with the ETag you read;
    a stale one: 412."""
    changes = wire.given(data)
    command = {"command": "change_programme", "programme": slug, **changes}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    effective, correction = changes.pop("effective", None), changes.pop("correction", False)
    programme = update_programme(
        session, slug, changes=changes, actor=actor(request),
        expected_version=expected_version(request), effective=effective or None,
        correction=correction,
    )  # fmt: skip
    body, headers = detail(session, programme.slug, When(date.today()))
    return Response(body, headers=headers)


@delete("/{slug:str}", sync_to_thread=False, opt=ADMIN, security=BEARER,
        summary="Delete a programme without history", responses=WRITE_ERRORS)  # fmt: skip
def remove(
    request: Request[Any, Any, Any], session: NamedDependency[Session], slug: FromPath[str]
) -> None:
    """Admins only; refused (409) once it has members, contracts or fleet events."""
    delete_programme(
        session, slug, actor=actor(request), expected_version=expected_version(request)
    )


router = Router(
    "/api/programmes",
    route_handlers=[list_programmes, programme_detail, create, change, remove],
    tags=["programmes"],
)
