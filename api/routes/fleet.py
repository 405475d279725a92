"""A programme's fleet: the timeline of events with running totals, and recording events."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel import Session

from api import wire
from api.cache import answer, page_of, serve_cached
from api.deps import BEARER, EDITOR, actor, etag
from api.docs import READ_ERRORS, WRITE_ERRORS, documented
from api.exports import Format, export, wanted
from api.routes.params import AsKnownOn, AsOf, FormatParam, Limit, Offset, as_of_day, read_when
from registry.fleet import fleet_timeline, record_fleet_event


@get(
    "/",
    sync_to_thread=False,
    summary="Fleet timeline with running totals",
    before_request=serve_cached,
    responses=READ_ERRORS,
    operation_class=documented(files=True),
)
def timeline(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    limit: Limit = 50,
    offset: Offset = 0,
    format: FormatParam = None,
) -> wire.Page[wire.FleetEventOut]:
    """Every event in date order (orders first on a day) with ordered, in service and on order;
    with `as_of`, the events that count by then (an event known to the month or year counts
    from the end of it); with `as_known_on`, the events recorded by then."""
    on = None if as_of is None else as_of_day(as_of)
    known = read_when(session, None, as_known_on).known

    def items() -> list[wire.FleetEventOut]:
        points = fleet_timeline(session, slug, known)
        return [
            wire.fleet_event_out(point)
            for point in points
            if on is None or point.event.counts_from <= on
        ]

    kind = wanted(request, format)
    if kind is not Format.JSON:
        columns = wire.FleetEventOut.__struct_fields__
        return export(items(), columns, kind, f"{slug}-fleet")  # type: ignore[return-value]
    return answer(request, lambda: page_of(items(), limit, offset))  # type: ignore[return-value]


@post("/", sync_to_thread=False, opt=EDITOR, security=BEARER,
      summary="Record units ordered, delivered or retired", responses=WRITE_ERRORS,
      operation_class=documented(body=wire.FleetEventIn))  # fmt: skip
def record(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.FleetEventIn],
) -> Response[wire.FleetEventOut]:
    """Refused (422 on `count`) when any total would go below zero on any date."""
    event = record_fleet_event(session, programme=slug, actor=actor(request), **wire.plain(data))
    point = next(p for p in fleet_timeline(session, slug) if p.event.id == event.id)
    return Response(wire.fleet_event_out(point), status_code=201, headers=etag(event.version))


router = Router(
    "/api/programmes/{slug:str}/fleet", route_handlers=[timeline, record], tags=["fleet"]
)
