"""Query parameters shared by the list endpoints, documented as the server checks them."""

from datetime import date, datetime
from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import QueryParameter
from sqlmodel import Session

from api.exports import Format
from api.wire import CURRENCIES
from registry.errors import BadParameter
from registry.history import When, known_at, parse_as_of, parse_known_on
from registry.paging import MAX_LIMIT

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size (at most {MAX_LIMIT}).")
]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000_000, description="Rows to skip.")]
Reason = Annotated[
    str,
    QueryParameter(
        pattern=r"^[^\x00]*[^\s\x00][^\x00]*$",
        max_length=2000,
        description="Why it is voided (required, not blank, no NUL)",
    ),
]
"""The reason a void requires, given in the query (a DELETE has no body)."""
_YEAR = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
AS_OF_PATTERN = rf"^(?:{_YEAR}(?:-(?:0[1-9]|1[0-2]))?|{_DATE})$"
AS_KNOWN_ON_PATTERN = (
    rf"^{_DATE}(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{{1,6}})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?$"
)
"""What the two parameters take, for the document (29 February only in leap years); the server
parses them again and names the parameter of a value it cannot read."""

AsOf = Annotated[
    str | None,
    QueryParameter(
        pattern=AS_OF_PATTERN,
        description="Answer as on this date: YYYY-MM-DD, or YYYY-MM / YYYY for the last day of "
        "that month or year; default today.",
        examples=[Example(value="2019-12-31")],
    ),
]
AsKnownOn = Annotated[
    str | None,
    QueryParameter(
        pattern=AS_KNOWN_ON_PATTERN,
        description="Answer as the registry knew it then: a date (its end, UTC) or an RFC 3339 "
        "time; default now. Corrections recorded later are not seen.",
        examples=[Example(value="2026-03-01T12:00:00Z")],
    ),
]
FormatParam = Annotated[
    Format | None,
    QueryParameter(
        name="format",
        description="json (default), csv, parquet or xlsx; exports hold every matching row. "
        "Without it, an Accept header naming one of the file types chooses it.",
    ),
]


def as_of_day(as_of: str | None, field: str = "as_of") -> date:
    """The day `as_of` names (default today); a bad one is a 400 naming `field`."""
    if as_of is None:
        return date.today()
    try:
        return parse_as_of(as_of)
    except ValueError as error:
        raise BadParameter(field, str(error)) from None


def known_on(as_known_on: str | None) -> datetime | None:
    """The moment `as_known_on` names (None: now); a bad one is a 400 naming it."""
    if as_known_on is None:
        return None
    try:
        return parse_known_on(as_known_on)
    except ValueError as error:
        raise BadParameter("as_known_on", str(error)) from None


def read_when(session: Session, as_of: str | None, as_known_on: str | None) -> When:
    """The two axes of a read from its query parameters; a bad one is a 400 naming it."""
    day, moment = as_of_day(as_of), known_on(as_known_on)
    return When(day, known_at(session, moment), moment)


def sort_keys(*keys: str) -> list[str]:
    """The values `sort` takes: a key, or `-key` for descending; empty means the default."""
    return ["", *keys, *(f"-{key}" for key in keys)]


PROGRAMME_SORTS = ("name", "slug", "launched", "category", "status")
CONTRACT_SORTS = ("signed", "value", "title", "reference", "id")
"""The keys `registry.search` sorts by (it refuses others with a 422 naming `sort`)."""

ProgrammeSort = Annotated[
    str | None,
    QueryParameter(
        description="Sort key (default name); prefix with - for descending.",
        schema_extra={"enum": sort_keys(*PROGRAMME_SORTS)},
    ),
]
ContractSort = Annotated[
    str | None,
    QueryParameter(
        description="Sort key (default signed); prefix with - for descending.",
        schema_extra={"enum": sort_keys(*CONTRACT_SORTS)},
    ),
]
Currency = Annotated[
    str | None,
    QueryParameter(
        description="ISO 4217 code; also the currency of `min_value`.",
        schema_extra={"enum": ["", *CURRENCIES]},
    ),
]
ConvertTo = Annotated[
    str | None,
    QueryParameter(
        description="ISO 4217 code: also give figures converted into this currency, each at the "
        "ECB rate of its own date (the day before when there is none), with the rate used.",
        schema_extra={"enum": ["", *CURRENCIES]},
    ),
]
MinValue = Annotated[
    str | None,
    QueryParameter(
        description="Decimal amount, in `currency` when given (EUR otherwise), with at most as "
        "many decimals as its minor unit.",
        schema_extra={"pattern": r"^([0-9]{1,12}(\.[0-9]{1,2})?)?$"},
    ),
]
