"""A programme's instruments: documents nations signed that are not memberships."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel import Session

from api import wire
from api.cache import answer, page_of, serve_cached
from api.deps import BEARER, EDITOR, actor
from api.docs import READ_ERRORS, documented
from api.routes.change_requests import PROPOSING, proposed_instead
from api.routes.params import AsKnownOn, AsOf, Limit, Offset, Reason, as_of_day, read_when
from registry.instruments import (
    add_instrument,
    instruments_of,
    void_instrument,
    with_signatories,
)
from registry.programmes import get_programme


@get(
    "/",
    sync_to_thread=False,
    summary="A programme's instruments",
    before_request=serve_cached,
    responses=READ_ERRORS,
)
def list_instruments(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    as_of: AsOf = None,
    as_known_on: AsKnownOn = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> wire.Page[wire.InstrumentOut]:
    """By signing date (unknown dates last); those signed by `as_of` (default today; a date
    known to the month or year counts from its first day; an unknown date always shows, as
    null); with `as_known_on`, as the registry knew them then (voided ones until their
    void)."""
    when = read_when(session, None, as_known_on)
    on = as_of_day(as_of)  # default today, as every read

    def build() -> tuple[Any, dict[str, str]]:
        programme = get_programme(session, slug)
        rows = instruments_of(session, programme, on, when.known)
        return page_of([wire.instrument_out(row, slug) for row in rows], limit, offset)

    return answer(request, build)  # type: ignore[return-value]


@post("/", sync_to_thread=False, opt=EDITOR, security=BEARER, summary="Record an instrument",
      responses=PROPOSING, operation_class=documented(body=wire.InstrumentIn))  # fmt: skip
def create(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    data: JSONBody[wire.InstrumentIn],
) -> Response[wire.InstrumentOut]:
    """A document nations signed (`kind`: letter_of_intent, mou, accession, agreement) with
    its `signatories` (at least one, each once); `signed` at its known precision, or null when
    unknown. 409 on `title` when the programme has an instrument of that title."""
    command = {"command": "add_instrument", "programme": slug, **wire.plain(data)}
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    made = add_instrument(session, programme=slug, actor=actor(request), **wire.plain(data))
    return Response(wire.instrument_out(with_signatories(session, made), slug), status_code=201)


@delete("/{instrument_id:int}", sync_to_thread=False, opt=EDITOR, security=BEARER,
        summary="Void an instrument recorded by mistake", responses=PROPOSING)  # fmt: skip
def void(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    instrument_id: FromPath[int],
    reason: Reason,
) -> None:
    """It leaves every read from then on; reads `as_known_on` before still show it, and the
    change log keeps it with the reason. 404 on `id` for none of this programme's."""
    command = {"command": "void_instrument", "programme": slug, "id": instrument_id,
               "reason": reason}  # fmt: skip
    if (proposed := proposed_instead(request, session, command)) is not None:
        return proposed  # type: ignore[return-value]
    void_instrument(
        session, instrument_id=instrument_id, reason=reason, actor=actor(request), programme=slug
    )
    return None


router = Router(
    "/api/programmes/{slug:str}/instruments",
    route_handlers=[list_instruments, create, void],
    tags=["instruments"],
)
