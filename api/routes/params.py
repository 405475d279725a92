"""Query parameters shared by the list endpoints."""

from datetime import date
from typing import Annotated

from litestar.params import QueryParameter

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size (at most 500).")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000_000, description="Rows to skip.")]
AsOf = Annotated[
    date | None,
    QueryParameter(description="Answer as on this date (ISO 8601 day); default today."),
]
Sort = Annotated[str | None, QueryParameter(description="Sort key; prefix with - for descending.")]
FormatParam = Annotated[
    str | None,
    QueryParameter(
        name="format",
        description="json (default), csv, parquet or xlsx; exports hold every matching row.",
        pattern="^(json|csv|parquet|xlsx)$",
    ),
]
