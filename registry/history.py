"""History on two axes: valid time (`as_of`, when a fact was true in the world) and record time
(`as_known_on`, when the registry knew it).

Record time is counted in change sets, not clock readings: every write transaction is one
change set, numbered in commit order (writes take the registry's write lock first), and a fact
row carries the change set that recorded it (`recorded_in`) and the one that replaced it
(`superseded_in`, null while it stands). A moment maps to the last change set recorded by then,
so two clocks never decide an order. Rows are never deleted: a correction closes a row in record
time and adds its replacement.

`in_force` is the one predicate every read of dated facts uses: the registry's queries, the read
models behind the API and staff pages, and the report frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import polars as pl
from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, or_, select
from sqlmodel import Session, col

from registry.audit import Change, ChangeSet
from registry.dates import PartialDate

Known = int | None
"""A point in record time: the last change set counted in, or None for all recorded so far."""


def known_at(session: Session, moment: datetime | None) -> Known:
    """The last change set recorded by `moment` (0 when none was); None stays "now"."""
    if moment is None:
        return None
    # A Core statement on the session's connection: every read on the record axis asks this.
    found = session.connection().execute(_KNOWN_AT, {"moment": moment}).scalar_one()
    return int(found or 0)


_KNOWN_AT = select(func.max(ChangeSet.id)).where(col(ChangeSet.recorded_at) <= bindparam("moment"))


def recorded_by(table: Any, known: Known | BindParameter[Any]) -> ColumnElement[bool]:
    """Rows the registry held at `known`: recorded by then and not yet replaced."""
    if known is None:
        return table.superseded_in.is_(None)  # type: ignore[no-any-return]
    return and_(
        table.recorded_in <= known,
        or_(table.superseded_in.is_(None), table.superseded_in > known),
    )


def created_after(entity: str, known: Known | BindParameter[Any]) -> Any:
    """Ids of the `entity` records (contracts, fleet events: recorded once, not yet versioned)
    first recorded after change set `known`, read off the audit trail: as known at `known`
    they are left out (a record with no audit row, as bulk-built data, counts as always known)."""
    return select(col(Change.entity_id)).where(
        col(Change.entity) == entity,
        col(Change.action) == "create",
        col(Change.change_set_id) > known,
    )


def valid_on(table: Any, on: date | BindParameter[Any]) -> ColumnElement[bool]:
    """Rows whose period [valid_from, valid_to) holds `on`."""
    return and_(table.valid_from <= on, or_(table.valid_to.is_(None), table.valid_to > on))


def dated_by(column: Any, on: Any) -> ColumnElement[bool]:
    """Rows whose date in `column` is on or before `on` (a partial date counts from its first
    day); a row whose date is unknown counts as always dated by then (a contract's or an
    instrument's signing)."""
    dated: ColumnElement[bool] = col(column).is_(None) | (col(column) <= on)
    return dated


def in_force(
    table: Any, on: date | BindParameter[Any], known: Known | BindParameter[Any] = None
) -> ColumnElement[bool]:
    """Rows true on `on` as the registry knew them at `known`."""
    return and_(valid_on(table, on), recorded_by(table, known))


def holds(valid_from: date, valid_to: date | None, on: date) -> bool:
    """`valid_on` for one period in Python: [valid_from, valid_to) holds `on`."""
    return valid_from <= on and (valid_to is None or on < valid_to)


def in_force_frame(on: date) -> pl.Expr:
    """`valid_on` for a polars frame of rows read with `recorded_by` (the report frames)."""
    return (pl.col("valid_from") <= on) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > on))


def dated_by_frame(column: str, on: date) -> pl.Expr:
    """`dated_by` for a polars frame."""
    return pl.col(column).is_null() | (pl.col(column) <= on)


@dataclass(frozen=True)
class When:
    """A read's two axes: the day asked about and the point in record time."""

    as_of: date
    known: Known = None
    as_known_on: datetime | None = None


def parse_as_of(value: str) -> date:
    """`YYYY-MM-DD`, or `YYYY-MM` / `YYYY` for the last day of that month or year."""
    return PartialDate.parse(value).end


def parse_known_on(value: str) -> datetime:
    """A date (the end of that day, UTC) or an RFC 3339 time with an offset; moments beyond
    the calendar's ends (the end of 9999-12-31, year 1 at +01:00) are held at them."""
    text = value.strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
        return datetime.combine(day, time.max, UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date (2026-03-01) or a time (2026-03-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} needs a time zone offset, such as Z or +01:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        end = datetime.max if moment.year > 1 else datetime.min
        return end.replace(tzinfo=UTC)
