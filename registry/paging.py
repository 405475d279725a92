"""Pages of query results with a total that is counted cheaply (the same filters, no ordering)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlmodel import Session

from registry.errors import InvalidValue

T = TypeVar("T")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue("limit", f"must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidValue("offset", "must not be negative")


def paginate(
    session: Session,
    query: Select[Any],
    *,
    limit: int | None,
    offset: int = 0,
    count: Select[Any] | None = None,
) -> Page[Any]:
    """Run `query` for one page and count all its rows; `limit=None` gives every row (exports).

    `count`, when given, counts the same rows more cheaply (the filters without the joins that
    only fetch names); by default the query itself is counted.
    """
    if limit is None:
        rows = list(session.execute(query).all())
        return Page(rows, len(rows), len(rows), 0)
    check_paging(limit, offset)
    counted = (
        count
        if count is not None
        else select(func.count()).select_from(query.order_by(None).subquery())
    )
    total = int(session.execute(counted).scalar_one())
    rows = list(session.execute(query.limit(limit).offset(offset)).all())
    return Page(rows, total, limit, offset)


def sort_clause(sort: str | None, allowed: dict[str, Any], default: str) -> list[Any]:
    """`name` or `-name` (descending) among the allowed keys; 422 on `sort` otherwise."""
    key = sort or default
    column = allowed.get(key.lstrip("-"))
    if column is None:
        raise InvalidValue(
            "sort", f"{key!r} is not one of: {', '.join(sorted(allowed))} (prefix - to reverse)"
        )
    # Records without the value sort last both ways, on every database.
    return [(column.desc() if key.startswith("-") else column.asc()).nulls_last()]
