"""A programme's fleet: the timeline of events with running totals, and recording events."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel import Session

from api import wire
from api.cache import answer, page_of, serve_cached
from api.deps import BEARER, EDITOR, actor, etag, expected_version
from api.docs import READ_ERRORS, documented
from api.exports import Format, export_records, wanted
from api.routes.change_requests import PROPOSING, proposed_instead
from api.routes.params import (
    AsKnownOn,
    AsOf,
    FormatParam,
    Limit,
    Offset,
    Reason,
    as_of_day,
    read_when,
)
from registry.errors import NotFound
from registry.fleet import (
    correct_fleet_event,
    fleet_timeline,
    record_fleet_event,
    void_fleet_event,
)


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
        name = f"{slug}-fleet"
        return export_records(session, "fleet-events", items(), kind, name, programme=slug)  # type: ignore[return-value]
    return answer(request, lambda: page_of(items(), limit, offset))  # type: ignore[return-value]


@post("/", sync_to_thread=False, opt=EDITOR, security=BEARER,
      summary="Record units ordered, delivered or retired", responses=PROPOSING,
      operation_class=documented(body=wire.FleetEventIn))  # fmt: skip
def record(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.FleetEventIn],
) -> Response[wire.FleetEventOut]:
    """Refused (422 on `count`) when any total would go below zero on any date."""
    command = {"command": "record_fleet_event", "programme": slug, **wire.plain(data)}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    event = record_fleet_event(session, programme=slug, actor=actor(request), **wire.plain(data))
    point = next(p for p in fleet_timeline(session, slug) if p.event.id == event.id)
    return Response(wire.fleet_event_out(point), status_code=201, headers=etag(event.version))


@get("/{event_id:int}", sync_to_thread=False, summary="One fleet event with the totals after it",
     responses=READ_ERRORS)  # fmt: skip
def event(
    session: NamedDependency[Session],
    slug: FromPath[str],
    event_id: FromPath[int],
    as_known_on: AsKnownOn = None,
) -> Response[wire.FleetEventOut]:
    """As the registry holds it (as known on `as_known_on`); 404 on `id` for an event it does
    not hold then (a corrected or voided event is held only before that)."""
    known = read_when(session, None, as_known_on).known
    point = next((p for p in fleet_timeline(session, slug, known) if p.event.id == event_id), None)
    if point is None:
        raise NotFound("id", f"no fleet event {event_id} held in {slug}")
    return Response(wire.fleet_event_out(point), headers=etag(point.event.version))


@patch("/{event_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
       summary="Correct what was recorded of a fleet event", responses=PROPOSING,
       operation_class=documented(body=wire.FleetEventPatch))  # fmt: skip
def correct(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    event_id: FromPath[int],
    data: JSONBody[wire.FleetEventPatch],
) -> Response[wire.FleetEventOut]:
    """A new row with the fields given replaces the event (its id is new); reads `as_known_on`
    before this still see the old one. A reason is required; `If-Match` guards against stale
    edits; refused (422 on `count`) when a total would go below zero."""
    changes = wire.given(data)
    command = {"command": "correct_fleet_event", "programme": slug, "id": event_id, **changes}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    reason = changes.pop("reason")
    event = correct_fleet_event(
        session, programme=slug, event_id=event_id, changes=changes, reason=reason,
        actor=actor(request), expected_version=expected_version(request),
    )  # fmt: skip
    point = next(p for p in fleet_timeline(session, slug) if p.event.id == event.id)
    return Response(wire.fleet_event_out(point), headers=etag(event.version))


@delete("/{event_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
        summary="Void a fleet event recorded by mistake", responses=PROPOSING)  # fmt: skip
def void(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    event_id: FromPath[int],
    reason: Reason,
) -> None:
    """The event no longer counts; it is kept, and reads `as_known_on` before this still count
    it. Refused (422 on `count`) when a total would then go below zero."""
    command = {"command": "void_fleet_event", "programme": slug, "id": event_id, "reason": reason}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    void_fleet_event(
        session, programme=slug, event_id=event_id, reason=reason, actor=actor(request),
        expected_version=expected_version(request),
    )  # fmt: skip
    return None


router = Router(
    "/api/programmes/{slug:str}/fleet",
    route_handlers=[timeline, record, event, correct, void],
    tags=["fleet"],
)
