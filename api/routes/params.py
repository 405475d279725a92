"""Query parameters shared by the list endpoints, documented as the server checks them."""

from datetime import date
from typing import Annotated

from litestar.params import QueryParameter

from api.exports import Format
from api.wire import CURRENCIES
from registry.paging import MAX_LIMIT

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Page size (at most {MAX_LIMIT}).")
]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000_000, description="Rows to skip.")]
AsOf = Annotated[
    date | None,
    QueryParameter(description="Answer as on this date (ISO 8601 day); default today."),
]
FormatParam = Annotated[
    Format | None,
    QueryParameter(
        name="format",
        description="json (default), csv, parquet or xlsx; exports hold every matching row. "
        "Without it, an Accept header naming one of the file types chooses it.",
    ),
]


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
MinValue = Annotated[
    str | None,
    QueryParameter(
        description="Decimal amount, in `currency` when given (EUR otherwise), with at most as "
        "many decimals as its minor unit.",
        schema_extra={"pattern": r"^([0-9]{1,12}(\.[0-9]{1,2})?)?$"},
    ),
]
