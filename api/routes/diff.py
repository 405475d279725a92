"""What changed in a programme between two dates, or between two moments of the registry."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session

from api import wire
from api.cache import answer, serve_cached
from api.docs import READ_ERRORS
from api.routes.params import AS_KNOWN_ON_PATTERN, read_when
from registry.checks import YEARS
from registry.diff import Diff, between_dates, between_moments
from registry.errors import BadParameter
from registry.history import known_at, parse_as_of, parse_known_on
from registry.programmes import get_programme

DAY_TEXT = (
    "{} (YYYY-MM-DD, or YYYY-MM / YYYY for the period's last day). Read by the server, so a "
    "bad one is a 400 naming `from` or `to`."
)
BEFORE_ANY_RECORD = date(YEARS[0] - 1, 12, 31)
"""`from` when none is given: every fact dates from 1900 on, so the diff holds everything."""

MomentParam = Annotated[
    str | None,
    QueryParameter(pattern=AS_KNOWN_ON_PATTERN, description="A date or an RFC 3339 time."),
]


@get(
    "/",
    sync_to_thread=False,
    summary="What changed between two dates, or what the registry learnt between two moments",
    before_request=serve_cached,
    responses=READ_ERRORS,
)
def diff(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    slug: FromPath[str],
    start: Annotated[
        str | None,
        QueryParameter(name="from", description=DAY_TEXT.format("The earlier day")),
    ] = None,
    end: Annotated[
        str | None,
        QueryParameter(name="to", description=DAY_TEXT.format("The later day (default today)")),
    ] = None,
    known_from: MomentParam = None,
    known_to: MomentParam = None,
    as_known_on: MomentParam = None,
) -> wire.DiffOut:
    """What changed in the world after `from` (default: before any record) up to and including
    `to` (default today), as known on `as_known_on`; or, with `known_from` (and `known_to`,
    default now), what the registry recorded in between, the fleet counted on today's date."""
    programme = get_programme(session, slug)
    if known_from is None:
        first, last = days_between(start, end)
        known = read_when(session, None, as_known_on).known
        labels = first.isoformat(), last.isoformat()

        def found() -> Diff:
            return between_dates(session, slug, first, last, known)

    else:
        if end is not None or start is not None:
            field = "to" if end is not None else "from"
            raise BadParameter(field, "give known_from and known_to, or from and to, not both")
        earlier, later = _moments(known_from, known_to)
        labels = earlier.isoformat(), later.isoformat() if later else "now"
        k1, k2 = known_at(session, earlier), known_at(session, later)

        def found() -> Diff:
            return between_moments(session, slug, k1, k2)

    def build() -> tuple[wire.DiffOut, dict[str, str]]:
        body = wire.diff_out(found(), *labels, programme.asset_type, programme.slug)
        return body, {}

    return answer(request, build)  # type: ignore[return-value]


def days_between(start: str | None, end: str | None) -> tuple[date, date]:
    first = BEFORE_ANY_RECORD if start is None else _day("from", start)
    last = date.today() if end is None else _day("to", end)
    if last < first:
        raise BadParameter("to", f"{last} is before from ({first})")
    return first, last


def _day(field: str, value: str) -> date:
    try:
        return parse_as_of(value)
    except ValueError as error:
        raise BadParameter(field, str(error)) from None


def _moments(start: str, end: str | None) -> tuple[Any, Any]:
    try:
        earlier = parse_known_on(start)
    except ValueError as error:
        raise BadParameter("known_from", str(error)) from None
    try:
        later = None if end is None else parse_known_on(end)
    except ValueError as error:
        raise BadParameter("known_to", str(error)) from None
    if later is not None and later < earlier:
        raise BadParameter("known_to", f"{end} is before known_from ({start})")
    return earlier, later


router = Router("/api/programmes/{slug:str}/diff", route_handlers=[diff], tags=["history"])
