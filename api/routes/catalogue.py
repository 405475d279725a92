"""Nations, organisations and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlmodel import Session, col, select

from api import wire
from api.cache import answer, serve_cached
from api.deps import etag
from api.docs import CONVERTING, LIST_ERRORS, READ_ERRORS, documented
from api.exports import Format, export, wanted
from api.routes.params import AsKnownOn, AsOf, ConvertTo, FormatParam, Limit, Offset, read_when
from registry.audit import Change, ChangeSet
from registry.choices import NationKind, OrganisationKind
from registry.conversion import converted_total, rate_currency
from registry.errors import InvalidValue, NotFound
from registry.history import When
from registry.nations import get_nation, list_nations
from registry.organisations import get_organisation, list_organisations
from registry.participation import nation_programmes_on
from registry.programme_terms import ProgrammeTerm, standing_on
from registry.programmes import Programme
from registry.search import ACCOUNT_ENTITIES, changes_page, contracts_page


def _page_or_file(
    request: Request[Any, Any, Any], items: list[Any], columns: tuple[str, ...], name: str,
    format: str | None, limit: int, offset: int, total: int | None = None,
) -> Any:  # fmt: skip
    """A file of every item, or a page of them (`total` given: `items` is that page already)."""
    kind = wanted(request, format)
    if kind is not Format.JSON:
        return export(items, columns, kind, name)
    if total is None:
        total, items = len(items), items[offset : offset + limit]
    return wire.Page(items, total, limit, offset)


@get(
    "/api/nations",
    sync_to_thread=False,
    summary="Nations: the Allies and partners",
    responses=READ_ERRORS,
    operation_class=documented(files=True),
)
def nations(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    kind: FromQuery[NationKind | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.NationOut]:
    """Filter by `kind` (ally or partner)."""
    items = [wire.nation_out(n) for n in list_nations(session, kind=kind)]
    columns = wire.NationOut.__struct_fields__
    return _page_or_file(request, items, columns, "nations", format, limit, offset)  # type: ignore[no-any-return]


@get(
    "/api/nations/{code:str}",
    sync_to_thread=False,
    summary="A nation and its programmes",
    before_request=serve_cached,
    responses=READ_ERRORS | CONVERTING,
)
def nation(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    code: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    convert_to: ConvertTo = None,
) -> wire.NationDetail:
    """`code` may be alpha-3, alpha-2 or an English name; the answer uses alpha-3. Its
    programmes are those on `as_of`, as known on `as_known_on`. With `convert_to`, also
    `converted_total`: the contracts of those programmes signed by then, in that currency,
    each at the ECB rate of its signing date, with the rates used."""
    when = read_when(session, as_of, as_known_on)
    return answer(request, lambda: (_nation(session, code, when, convert_to), {}))  # type: ignore[return-value]


def _nation(
    session: Session, code: str, when: When, convert_to: str | None = None
) -> wire.NationDetail:
    found = get_nation(session, code)
    programmes = [
        wire.NationProgramme(
            slug=p.slug,
            name=p.name,
            role=part.role,
            instrument=part.instrument,
            joined=part.joined_on.isoformat(),
            left=wire.iso(part.left_on),
            cost_share=wire.percent(part.cost_share_bp),
        )
        for p, part in nation_programmes_on(session, found.code, when.as_of, when.known)
    ]
    body = wire.NationDetail(
        found.code, found.name, found.kind, found.nato_member_since, when.as_of, programmes
    )
    if convert_to:
        target = rate_currency(session, convert_to)
        rows = [
            row[0]
            for p in programmes
            for row in contracts_page(
                session, programme=p.slug, on=when.as_of, recorded_by=when.known, limit=None
            ).items
        ]
        body.converted_total = wire.converted_total_out(
            converted_total(session, rows, target, when.as_of)
        )
    return body


@get(
    "/api/organisations",
    sync_to_thread=False,
    summary="Agencies, contractors, governing bodies",
    responses=READ_ERRORS,
    operation_class=documented(files=True),
)
def organisations(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    kind: FromQuery[OrganisationKind | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.OrganisationOut]:
    """Filter by `kind` (agency, contractor, governing_body)."""
    items = [wire.organisation_out(o) for o in list_organisations(session, kind=kind)]
    columns = wire.OrganisationOut.__struct_fields__
    return _page_or_file(request, items, columns, "organisations", format, limit, offset)  # type: ignore[no-any-return]


@get(
    "/api/organisations/{slug:str}",
    sync_to_thread=False,
    summary="An organisation",
    responses=READ_ERRORS,
)
def organisation(
    session: NamedDependency[Session], slug: FromPath[str]
) -> Response[wire.OrganisationDetail]:
    """With the slugs of the programmes it manages today."""
    found = get_organisation(session, slug)
    manages = list(
        session.exec(
            select(Programme.slug)
            .join(ProgrammeTerm, col(ProgrammeTerm.programme_id) == col(Programme.id))
            .where(
                col(ProgrammeTerm.managing_organisation_id) == found.id,
                standing_on(date.today()),
            )
            .order_by(Programme.slug)
        )
    )
    body = wire.OrganisationDetail(
        found.slug, found.name, found.kind, found.country, found.version, manages
    )
    return Response(body, headers=etag(found.version))


@get(
    "/api/changes",
    sync_to_thread=False,
    summary="The audit trail: who changed what",
    responses=LIST_ERRORS,
    operation_class=documented(files=True),
)
def changes(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    entity: FromQuery[str | None] = None,
    key: FromQuery[str | None] = None,
    actor: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.ChangeOut]:
    """Newest first; filter by entity (programme, participation...), key (mmf/DNK), actor, since.

    Changes to users and tokens are not here: admins read them in /api/security-log."""
    _iso_time(request.query_params.get("since"))
    kind = wanted(request, format)
    page = changes_page(
        session, entity=entity, key=key, actor=actor, since=since,
        hide=ACCOUNT_ENTITIES, limit=None if kind is not Format.JSON else limit, offset=offset,
    )  # fmt: skip
    items = [wire.change_out(row[0]) for row in page.items]
    return _page_or_file(  # type: ignore[no-any-return]
        request,
        items,
        wire.ChangeOut.__struct_fields__,
        "changes",
        format,
        limit,
        offset,
        total=page.total,
    )


@get(
    "/api/change-sets/{number:int}",
    sync_to_thread=False,
    summary="One change set: a write transaction and its changes",
    responses=READ_ERRORS,
)
def change_set(
    request: Request[Any, Any, Any], session: NamedDependency[Session], number: FromPath[int]
) -> wire.ChangeSetOut:
    """Who wrote it, when, under which request id and comment, and every change it made (changes
    to users and tokens are in the security log)."""
    found = session.get(ChangeSet, number)
    if found is None:
        raise NotFound("number", f"no change set {number}")
    hide = ACCOUNT_ENTITIES
    rows = session.exec(
        select(Change)
        .where(Change.change_set_id == number, col(Change.entity).not_in(hide))
        .order_by(col(Change.id))
    ).all()
    return wire.change_set_out(found, list(rows))


def _iso_time(raw: str | None) -> None:
    """`since` is an RFC 3339 time or an ISO day, as documented; the decoder alone would also take
    a number of seconds since 1970."""
    if raw is None:
        return
    try:
        datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("since", f"{raw!r} is not an ISO 8601 date or time") from None


router = Router(
    "/",
    route_handlers=[nations, nation, organisations, organisation, changes, change_set],
    tags=["reference"],
)
